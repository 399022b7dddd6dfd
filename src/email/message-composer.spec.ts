import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { DataSource } from 'typeorm';
import { JobEventType } from '@herald/contracts';
import { JwtSecret } from '../auth/jwt-secret';
import type { ChannelDelivery, DispatchContext } from '../channels/delivery-channel.port';
import { ManualClock } from '../clock/manual-clock';
import { HeraldConfig } from '../config/herald-config';
import { validateEnvironment } from '../config/validate-environment';
import { DatabaseHealth } from '../database/database-health';
import { Transactions } from '../database/transactions';
import { NotificationEntity } from '../notifications/entities/notification.entity';
import { DeliveryContents } from '../notifications/outbox/delivery-contents';
import { PreferenceLinks } from '../notifications/preference-links/preference-links';
import { MailRenderer } from '../notifications/rendering/mail-renderer';
import { AuditEntryEntity } from '../settings/audit-log/audit-entry.entity';
import { AuditLog } from '../settings/audit-log/audit-log.service';
import { MailDefaultsService } from '../settings/mail-defaults/mail-defaults.service';
import { PropertyEntity } from '../settings/property.entity';
import { OverrideTemplateSource } from '../../test/support/override-template-source';
import type { MailRoute } from './mail-transport.port';
import { MessageComposer } from './message-composer';

const settings: MailRoute = { name: 'smtp.example.com:587', sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' };

const event = (id: string, logExcerpt = 'INFO start') => ({
  schemaVersion: 1,
  id,
  type: JobEventType.JOB_FAILED,
  occurredAt: '2026-11-24T09:42:30Z',
  application: { id: 'app-1', name: 'Billing' },
  job: { id: 'job-7', kind: 'analysis' },
  error: { message: 'Out of memory', step: 'Run analyzer', logExcerpt },
});

const delivery = (id: number, eventId: string, recipientName: string | null = null, reader: { locale?: string; timeZone?: string } = {}): ChannelDelivery => ({
  id,
  channel: 'email',
  address: `r${id}@example.com`,
  recipientId: `r${id}`,
  eventType: 'JOB_FAILED',
  applicationId: 'app-1',
  recipientName,
  recipientLocale: reader.locale ?? null,
  recipientTimeZone: reader.timeZone ?? null,
  eventId,
  kind: 'EVENT',
  attempts: 0,
  channelFailures: 0,
  leaseExpiresAt: Date.now() + 60_000,
  createdAt: Date.now(),
});

describe('MessageComposer', () => {
  let dataSource: DataSource;
  let composer: MessageComposer;
  let renderer: MailRenderer;
  let defaults: MailDefaultsService;
  /** What the dispatcher lends: notifications' tables, read through DeliveryContents. */
  let context: DispatchContext;
  let clock: ManualClock;

  beforeEach(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [NotificationEntity, PropertyEntity, AuditEntryEntity], synchronize: true }).initialize();
    const env = { DATA_DIR: '/tmp/herald-unit' };
    const config = new HeraldConfig(validateEnvironment(env), env);
    renderer = new MailRenderer();
    clock = new ManualClock(Date.UTC(2026, 10, 24, 9, 45, 10));
    defaults = new MailDefaultsService(dataSource, config, new Transactions(dataSource, new DatabaseHealth(clock)), clock, new AuditLog(dataSource, clock));
    composer = new MessageComposer(renderer, config, new PreferenceLinks(JwtSecret.load(config), config), defaults, clock, JwtSecret.load(config));
    const contents = new DeliveryContents(dataSource);
    context = { payloads: (ids) => contents.payloads(ids), eventsOf: (id) => contents.eventsOf(id), windowOf: (id) => contents.windowOf(id), countFailure: async () => 0 };
  });
  afterEach(() => dataSource.destroy());

  it('gives each recipient the same encoded body under headers of their own', async () => {
    composer.remember('e1', JSON.stringify(event('e1')));
    const [a, b] = await Promise.all([composer.compose(delivery(1, 'e1', 'Zoë Ó'), settings, context), composer.compose(delivery(2, 'e1'), settings, context)]);
    expect(a.envelope).toEqual({ from: 'herald@example.com', to: ['r1@example.com'] });
    const [ma, mb] = await Promise.all([simpleParser(a.raw), simpleParser(b.raw)]);
    expect(ma.to).toMatchObject({ value: [{ name: 'Zoë Ó', address: 'r1@example.com' }] });
    expect(mb.to).toMatchObject({ value: [{ name: '', address: 'r2@example.com' }] });
    expect(ma.messageId).toBe(a.messageId);
    expect(ma.messageId).not.toBe(mb.messageId);
    expect(ma.subject).toBe('[Billing] Analysis failed: Run analyzer');
    expect(ma.text).toBe(mb.text);
    expect(ma.html).toContain('Out of memory');
    const body = (raw: Buffer) => raw.subarray(raw.indexOf('\r\n\r\n'));
    expect(body(a.raw).equals(body(b.raw))).toBe(true);
    // The same Buffer for both, named as shared: the relay's form of it is made once (asSmtpData).
    expect(a.body).toBeInstanceOf(Buffer);
    expect(b.body).toBe(a.body);
    expect(a.raw.subarray(a.raw.length - a.body!.length).equals(a.body!)).toBe(true);
  });

  it("a delivery's Message-ID cannot be worked out from another's of the same event (nor from the event id): a report forged about a colleague's mail names no delivery", async () => {
    composer.remember('e1', JSON.stringify(event('e1')));
    const [a, b] = await Promise.all([composer.compose(delivery(1, 'e1'), settings, context), composer.compose(delivery(2, 'e1'), settings, context)]);
    // The delivery's id first: Message-IDs in the order deliveries are written, so the index of them grows at its end.
    const parts = (id: string) => /^<herald\.(\d+)\.([0-9a-f]{16})@example\.com>$/.exec(id)?.slice(1);
    const [idA, tagA] = parts(a.messageId)!;
    const [idB, tagB] = parts(b.messageId)!;
    expect([idA, idB]).toEqual(['1', '2']);
    expect(tagA).not.toBe(tagB);
    expect(tagA).not.toBe(createHash('sha256').update('e1').digest('hex').slice(0, 16));
    // The same delivery composed again (a retry) keeps its Message-ID: a report of the first attempt still finds it.
    expect((await composer.compose(delivery(1, 'e1'), settings, context)).messageId).toBe(a.messageId);
  });

  it("dates each message by the Clock, when it is composed", async () => {
    composer.remember('e1', JSON.stringify(event('e1')));
    const first = await simpleParser((await composer.compose(delivery(1, 'e1'), settings, context)).raw);
    expect(first.date).toEqual(new Date(Date.UTC(2026, 10, 24, 9, 45, 10)));
    clock.advance(90_000);
    const later = await simpleParser((await composer.compose(delivery(2, 'e1'), settings, context)).raw);
    expect(later.date).toEqual(new Date(Date.UTC(2026, 10, 24, 9, 46, 40)));
  });

  it('reads an event it does not have from the notifications table', async () => {
    await dataSource.getRepository(NotificationEntity).insert({ eventId: 'e2', eventType: 'JOB_FAILED', payload: JSON.stringify(event('e2')) });
    const mail = await composer.compose(delivery(3, 'e2'), settings, context);
    expect((await simpleParser(mail.raw)).subject).toBe('[Billing] Analysis failed: Run analyzer');
  });

  it("composes anew once the renderer's template source changes, not from the mails composed before", async () => {
    const source = new OverrideTemplateSource();
    const env = { DATA_DIR: '/tmp/herald-unit' };
    const config = new HeraldConfig(validateEnvironment(env), env);
    composer = new MessageComposer(new MailRenderer(source), config, new PreferenceLinks(JwtSecret.load(config), config), defaults, clock, JwtSecret.load(config));
    composer.remember('e5', JSON.stringify(event('e5')));
    expect((await simpleParser((await composer.compose(delivery(51, 'e5'), settings, context)).raw)).subject).toBe('[Billing] Analysis failed: Run analyzer');
    source.setMessages(JobEventType.JOB_FAILED, 'en', { subjectAtStep: 'Broken at {step}' });
    expect((await simpleParser((await composer.compose(delivery(52, 'e5'), settings, context)).raw)).subject).toBe('[Billing] Broken at Run analyzer');
  });

  it('keeps at most its byte budget of events: the oldest large ones are dropped', async () => {
    const big = 'x'.repeat(512 * 1024); // a 512 KB log excerpt, counted twice (payload and body)
    for (let i = 0; i < 40; i++) composer.remember(`big-${i}`, JSON.stringify(event(`big-${i}`, big)));
    // Nothing is in the table: only what the cache still holds can be composed.
    await expect(composer.compose(delivery(4, 'big-39'), settings, context)).resolves.toBeDefined();
    await expect(composer.compose(delivery(5, 'big-0'), settings, context)).rejects.toThrow();
  });

  it("counts a body its recipients share twice in its budget: the relay's form of it is kept with it", async () => {
    const big = 'x'.repeat(512 * 1024); // the payload counted twice (a string), the body (~1.1 MB: text and HTML) twice
    for (let i = 0; i < 24; i++) {
      composer.remember(`big-${i}`, JSON.stringify(event(`big-${i}`, big)));
      expect((await composer.compose(delivery(100 + i, `big-${i}`), settings, context)).body).toBeInstanceOf(Buffer);
    }
    // 24 MB hold the last 7 (11 if each body were counted once). Nothing is in the table: only what the cache holds can be composed.
    await expect(composer.compose(delivery(200, 'big-17'), settings, context)).resolves.toBeDefined();
    await expect(composer.compose(delivery(201, 'big-16'), settings, context)).rejects.toThrow('event big-16 is not stored');
  });

  describe("with Herald's preferences page (HERALD_PUBLIC_URL)", () => {
    let links: PreferenceLinks;
    let ttl: number;
    beforeEach(() => {
      const env = { DATA_DIR: '/tmp/herald-unit', JWT_SECRET: 'unit-secret-that-is-long-enough-for-hs256', HERALD_PUBLIC_URL: 'https://herald.example.com/' };
      const config = new HeraldConfig(validateEnvironment(env), env);
      links = new PreferenceLinks(JwtSecret.load(config), config);
      composer = new MessageComposer(new MailRenderer(), config, links, defaults, clock, JwtSecret.load(config));
      ttl = config.preferences.linkTtlMs;
    });

    it("gives each recipient links signed for their own delivery, in both parts and in RFC 8058's headers", async () => {
      // A long name makes long lines: quoted-printable breaks them, maybe inside a link.
      composer.remember('e3', JSON.stringify({ ...event('e3'), application: { id: 'app-1', name: `Billing ${'é'.repeat(50)}` } }));
      const [a, b] = await Promise.all([composer.compose(delivery(41, 'e3'), settings, context), composer.compose(delivery(42, 'e3'), settings, context)]);
      for (const [mail, id] of [[a, 41], [b, 42]] as const) {
        const parsed = await simpleParser(mail.raw);
        const page = /https:\/\/herald\.example\.com\/preferences\?t=([A-Za-z0-9_-]+)/;
        const fromText = page.exec(parsed.text!)![1];
        const fromHtml = page.exec(String(parsed.html).replace(/&#x3D;/g, '='))![1];
        expect(fromHtml).toBe(fromText);
        // Valid for the links' lifetime from when the mail was composed (the Clock), not from the wall clock.
        expect(links.tokens.verify(fromText, new Date(clock.now() + ttl - 1000))).toMatchObject({ ok: true, deliveryId: id });
        expect(links.tokens.verify(fromText, new Date(clock.now() + ttl))).toMatchObject({ ok: false, reason: 'expired', deliveryId: id });
        expect(mail.raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
        expect(mail.raw.toString()).toMatch(new RegExp(`^List-Unsubscribe:\\s+<https://herald\\.example\\.com/unsubscribe\\?t=${fromText}>\r$`, 'm'));
      }
      // Same length, same layout: the bodies differ in the tokens alone.
      const body = (raw: Buffer) => raw.subarray(raw.indexOf('\r\n\r\n'));
      expect(body(a.raw).length).toBe(body(b.raw).length);
      // Each body is the recipient's own: none is named as shared.
      expect([a.body, b.body]).toEqual([undefined, undefined]);
    });
  });

  it('renders once per language and time zone, not once per recipient', async () => {
    const render = jest.spyOn(renderer, 'render');
    composer.remember('e3', JSON.stringify({ ...event('e3'), job: { id: 'job-7', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z' } }));
    const paris = { locale: 'fr', timeZone: 'Europe/Paris' };
    const mails = await Promise.all([
      composer.compose(delivery(11, 'e3', null, paris), settings, context),
      composer.compose(delivery(12, 'e3', null, { locale: 'en', timeZone: 'America/New_York' }), settings, context),
      composer.compose(delivery(13, 'e3', null, paris), settings, context),
      composer.compose(delivery(14, 'e3', null, { locale: 'de', timeZone: 'Europe/Paris' }), settings, context), // no German: English in Paris
    ]);
    const [fr, en, fr2, de] = await Promise.all(mails.map((m) => simpleParser(m.raw)));
    expect(render).toHaveBeenCalledTimes(3);
    expect(fr.subject).toBe('[Billing] Échec de l’analyse\u00a0: Run analyzer');
    expect(fr.text).toContain('24 nov. 2026, 10:00 CET');
    expect(fr2.text).toBe(fr.text);
    expect(en.subject).toBe('[Billing] Analysis failed: Run analyzer');
    expect(en.text).toMatch(/Nov 24, 2026, 4:00\sAM EST/);
    expect(de.text).toMatch(/Nov 24, 2026, 10:00\sAM CET/);
    expect(de.html).toContain('<html lang="en">');
  });

  it("writes for the admin's default language and time zone when the recipient set none", async () => {
    composer.remember('e4', JSON.stringify(event('e4')));
    await defaults.update({ language: 'fr', timeZone: 'Asia/Tokyo' }, { id: 'admin', name: null });
    const [none, own] = await Promise.all([composer.compose(delivery(21, 'e4'), settings, context), composer.compose(delivery(22, 'e4', null, { locale: 'en-GB' }), settings, context)]);
    const [a, b] = await Promise.all([simpleParser(none.raw), simpleParser(own.raw)]);
    expect(a.html).toContain('<html lang="fr">');
    expect(a.text).toMatch(/24 nov\. 2026, 18:42\sUTC\+9/);
    expect(b.html).toContain('<html lang="en-GB">');
    expect(b.text).toContain('24 Nov 2026, 18:42 GMT+9'); // no abbreviation for Tokyo: the offset
  });
});
