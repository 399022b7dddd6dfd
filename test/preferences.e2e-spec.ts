import { existsSync, readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { messagesFile } from '../src/event-types/event-type';
import { Transactions } from '../src/database/transactions';
import { NotificationType } from '../src/event-types/notification-type';
import { allEventTypes, eventTypeOf } from '../src/event-types/registry';
import { JobEventIngestionService } from '../src/job-events/ingestion/job-event-ingestion.service';
import { PreferenceLinks } from '../src/notifications/preference-links/preference-links';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { describeIf } from './support/skipped-suites';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

/**
 * Unsubscribe and preferences from a mail, as its recipient uses them: the signed
 * link of a received mail opened in Debian's Chromium (headless, Playwright), the
 * RFC 8058 one-click POST a mail program makes, and links that must not work.
 *
 * HERALD_PUBLIC_URL is where a reverse proxy would publish Herald; the test app
 * listens on a port chosen at start, so links are followed at the app's own origin.
 */
const PUBLIC_URL = 'https://herald.example.com';
const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const ME = '{ me { notificationsEnabled preferences { eventType enabled source applicationOverrides { applicationId enabled } } } }';
const SEND_ME = 'mutation { sendMeTestEmail { ok steps { step status message } } }';

let seq = 0;
const NAMES: Record<string, string> = { billing: 'Billing', payroll: 'Payroll', paie: 'Paie', toutes: 'Toutes', ledger: 'Ledger' };
/** What a type is called in a language, as its messages say (typeLabel). */
const typeLabel = (type: NotificationType, language: string) => (JSON.parse(readFileSync(messagesFile(eventTypeOf(type), language), 'utf8')) as Record<string, string>).typeLabel;
/** French puts no-break spaces inside « » and before ":": compare as plain spaces. */
const plain = (s: string | null | undefined) => (s ?? '').replace(/[\u00a0\u202f]/g, ' ');
const job = { id: 'job-1', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' };
const failed = (applicationId: string) => ({
  schemaVersion: 1,
  id: `pref-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-11-24T09:10:00Z',
  application: { id: applicationId, name: NAMES[applicationId] },
  job,
  error: { message: 'Out of memory' },
});

/** The preferences link of the mail's text part, and the one-click address of its List-Unsubscribe header. */
function linksOf(mail: ReceivedMail): { page: string; oneClick: string } {
  const page = /(https:\/\/herald\.example\.com\/preferences\?t=[A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')?.[1];
  const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const oneClick = /^List-Unsubscribe: <([^>]+)>$/m.exec(headers)?.[1];
  expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
  expect(page && oneClick).toBeTruthy();
  return { page: page!, oneClick: oneClick! };
}

describe(`preferences links in mails (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const local = (url: string) => url.replace(PUBLIC_URL, app.url);
  const publish = async (event: object) => {
    const res = await app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  /** The mails of one event, once `count` have arrived. */
  const mailsOf = (eventId: string, count: number) =>
    eventually(async () => {
      const got = sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId);
      expect(got).toHaveLength(count);
      return got;
    });
  const mailTo = async (eventId: string, count: number, person: string) => (await mailsOf(eventId, count)).find((m) => m.to[0] === `${person}@example.com`)!;
  /** One person's mail of an event, however many others got it. */
  const mailFor = (eventId: string, person: string) =>
    eventually(async () => {
      const got = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === eventId && m.to[0] === `${person}@example.com`);
      expect(got).toBeDefined();
      return got!;
    });
  const me = async (person: string) => (await app.gql(ME, {}, app.token(Role.USER, person))).data.me;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ HERALD_PUBLIC_URL: PUBLIC_URL, DISPATCH_SWEEP_INTERVAL_MS: '100' });
    await app.admin(UPDATE_SMTP, {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }, { id: 'bob' }, { id: 'cem' }, { id: 'dan' }, { id: 'eve' }]);
    await seedApplication(app, { id: 'payroll', name: 'Payroll' }, [{ id: 'ann' }, { id: 'bob' }]);
    // French readers, on applications of their own (the counts above stay).
    await seedApplication(app, { id: 'paie', name: 'Paie' }, [{ id: 'fay' }, { id: 'gus' }, { id: 'hal' }]);
    await seedApplication(app, { id: 'toutes', name: 'Toutes' }, [{ id: 'ida' }]);
    for (const person of ['fay', 'hal', 'ida']) {
      await app.gql('mutation { updateMyProfile(input: { locale: "fr", timeZone: "Europe/Paris" }) { id } }', {}, app.token(Role.USER, person));
    }
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  describeIf(HAVE_CHROMIUM, `${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-background-networking'] });
    });
    afterAll(() => browser?.close());

    it("opens the received mail's link, turns this type off for this application, and the next event proves it", async () => {
      const first = failed('billing');
      await publish(first);
      const { page: link } = linksOf(await mailTo(first.id, 5, 'ann'));

      const page = await browser.newPage();
      const response = await page.goto(local(link));
      expect(response?.status()).toBe(200);
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await page.getByRole('heading', { level: 1, name: 'Your Herald notifications' }).waitFor();
      // The quick choice about this mail, then the same page, saying so.
      await page.getByLabel('Stop "Job failed" mails about Billing only').check();
      await page.getByRole('button', { name: 'Stop these mails' }).click();
      await page.getByRole('status').filter({ hasText: 'Done.' }).waitFor();
      await page.close();

      const mine = await me('ann');
      expect(mine.notificationsEnabled).toBe(true);
      expect(mine.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED')).toEqual({
        eventType: 'JOB_FAILED', enabled: true, source: 'DEFAULT', applicationOverrides: [{ applicationId: 'billing', enabled: false }],
      });

      // The next JOB_FAILED about Billing reaches the others, not ann; about Payroll, ann still gets it.
      const next = failed('billing');
      await publish(next);
      expect((await mailsOf(next.id, 4)).map((m) => m.to[0]).sort()).toEqual(['bob', 'cem', 'dan', 'eve'].map((p) => `${p}@example.com`));
      const payroll = failed('payroll');
      await publish(payroll);
      expect((await mailsOf(payroll.id, 2)).map((m) => m.to[0]).sort()).toEqual(['ann@example.com', 'bob@example.com']);
    });

    it('in French for a French person: the mail, the page (lang="fr"), a change there, and the next event proves it', async () => {
      const first = failed('paie');
      await publish(first);
      const mail = await mailTo(first.id, 3, 'fay');
      expect(mail.parsed.subject).toBe('[Paie] Échec de l’analyse');
      const { page: link } = linksOf(mail);

      // The browser asks for English: the person's own language wins.
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      expect((await page.goto(local(link)))?.status()).toBe(200);
      expect(await page.getAttribute('html', 'lang')).toBe('fr');
      expect(await page.title()).toBe('Vos notifications Herald');
      await page.getByRole('heading', { level: 1, name: 'Vos notifications Herald' }).waitFor();
      // The link's expiry, in Paris time.
      expect(plain(await page.locator('p.note').first().textContent())).toMatch(/^Ce lien fonctionne jusqu’au \d{1,2} \S+ \d{4}, \d{2}:\d{2} CES?T\.$/);
      // The quick choices are a group named by its legend, each choice a labelled radio button.
      const quick = page.getByRole('group', { name: /^Ne plus recevoir les messages «\sTâche en échec\s» sur Paie…$/ });
      await quick.getByLabel(/Ne plus recevoir les messages «\sTâche en échec\s» sur aucune application$/).check();
      await page.getByRole('button', { name: 'Arrêter ces messages' }).click();
      await page.getByRole('status').filter({ hasText: 'C’est fait.' }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('fr');
      // The full form says the same, in French.
      const types = page.getByRole('group', { name: 'Par type de message, pour toutes les applications' });
      expect(await types.getByLabel('Tâche en échec', { exact: true }).inputValue()).toBe('off');
      // Off: that type, and only the types that are off by default besides it.
      expect(await types.getByRole('option', { name: 'Désactivé', selected: true }).count()).toBe(1 + allEventTypes().filter((d) => !d.enabledByDefault).length);
      expect(await page.getByLabel('M’envoyer les notifications par courriel', { exact: false }).isChecked()).toBe(true);
      await context.close();

      const mine = (await me('fay')).preferences.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED');
      expect(mine).toMatchObject({ enabled: false, source: 'USER', applicationOverrides: [] });
      // The next failure reaches the others only; a success still reaches fay, in French.
      const next = failed('paie');
      await publish(next);
      expect((await mailsOf(next.id, 2)).map((m) => m.to[0]).sort()).toEqual(['gus@example.com', 'hal@example.com']);
      const success = { ...failed('paie'), type: 'JOB_SUCCEEDED', error: undefined, job: { ...job, id: 'job-2', kind: 'snapshot' } };
      await publish(success);
      expect((await mailTo(success.id, 3, 'fay')).parsed.subject).toBe('[Paie] Instantané réussi');
    });

    it('changes the other preferences from the full form, without JavaScript', async () => {
      const e = failed('billing');
      await publish(e);
      const { page: link } = linksOf(await mailTo(e.id, 4, 'bob'));
      await app.gql('mutation { setNotificationPreference(input: { eventType: JOB_FAILED, applicationId: "payroll", enabled: false }) { id } }', {}, app.token(Role.USER, 'bob'));
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(local(link));
      await page.getByLabel('Job succeeded', { exact: true }).selectOption('off');
      await page.getByLabel('"Job failed" for Payroll (payroll)').selectOption('default');
      await page.getByRole('button', { name: 'Save my preferences' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect(await page.getByLabel('Job succeeded', { exact: true }).inputValue()).toBe('off');
      await context.close();
      const after = (await me('bob')).preferences;
      expect(after.find((p: { eventType: string }) => p.eventType === 'JOB_SUCCEEDED')).toMatchObject({ enabled: false, source: 'USER', applicationOverrides: [] });
      expect(after.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED')).toMatchObject({ enabled: true, source: 'DEFAULT', applicationOverrides: [] });
      // Nothing else changed.
      expect(after.filter((p: { source: string }) => p.source === 'USER')).toHaveLength(1);
      expect((await me('bob')).notificationsEnabled).toBe(true);
    });

    it('sets how often per type and for the mail\'s application, and quiet hours, from the page; quiet hours that cannot be are refused, nothing changed', async () => {
      await seedApplication(app, { id: 'ledger', name: 'Ledger' }, [{ id: 'kai' }]);
      await app.gql('mutation { updateMyProfile(input: { timeZone: "Europe/Paris" }) { id } }', {}, app.token(Role.USER, 'kai'));
      const e = failed('ledger');
      await publish(e);
      const { page: link } = linksOf(await mailFor(e.id, 'kai'));
      const QUIET_ME = '{ me { quietHours { enabled start end weekends timeZone breakThrough source } preferences { eventType frequency digestHour applicationOverrides { applicationId frequency digestHour } } } }';
      const before = (await app.gql(QUIET_ME, {}, app.token(Role.USER, 'kai'))).data.me;
      expect(before.quietHours).toMatchObject({ enabled: false, source: 'NONE' });
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(local(link));
      const fill = async (start: string, end: string) => {
        await page.getByLabel('Job succeeded', { exact: true }).selectOption('DIGEST_DAILY');
        await page.getByLabel('Hour of the daily digest for "Job succeeded"', { exact: true }).selectOption('18');
        await page.getByLabel('"Job failed" for Ledger (ledger)', { exact: true }).selectOption('FIRST_AND_FIXED');
        const quiet = page.getByRole('group', { name: 'Quiet hours' });
        await quiet.getByLabel('Use these quiet hours').check();
        await quiet.getByLabel('Hold my mails during quiet hours').check();
        await quiet.getByLabel('From (your time, Europe/Paris)').fill(start);
        await quiet.getByLabel('Until', { exact: true }).fill(end);
        await quiet.getByLabel('And all of Saturday and Sunday').check();
        await quiet.getByLabel('"Job stopped by a user" mails').check();
        await page.getByRole('button', { name: 'Save my preferences' }).click();
      };
      // A start equal to the end: said so, nothing saved.
      await fill('06:00', '06:00');
      await page.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
      expect((await app.gql(QUIET_ME, {}, app.token(Role.USER, 'kai'))).data.me).toEqual(before);
      await fill('21:30', '06:00');
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      // The page shows what was saved.
      expect(await page.getByLabel('Job succeeded', { exact: true }).inputValue()).toBe('DIGEST_DAILY');
      expect(await page.getByLabel('"Job failed" for Ledger (ledger)', { exact: true }).inputValue()).toBe('FIRST_AND_FIXED');
      expect(await page.getByLabel('From (your time, Europe/Paris)').inputValue()).toBe('21:30');
      await context.close();
      const after = (await app.gql(QUIET_ME, {}, app.token(Role.USER, 'kai'))).data.me;
      expect(after.quietHours).toEqual({ enabled: true, start: '21:30', end: '06:00', weekends: true, timeZone: null, breakThrough: ['JOB_FAILED', 'JOB_STOPPED'], source: 'USER' });
      const of = (type: string) => after.preferences.find((p: { eventType: string }) => p.eventType === type);
      expect(of('JOB_SUCCEEDED')).toMatchObject({ frequency: 'DIGEST_DAILY', digestHour: 18, applicationOverrides: [] });
      expect(of('JOB_FAILED')).toMatchObject({ frequency: 'IMMEDIATELY', applicationOverrides: [{ applicationId: 'ledger', frequency: 'FIRST_AND_FIXED', digestHour: null }] });
      // Nothing else: every other type as before.
      for (const p of after.preferences.filter((p: { eventType: string }) => p.eventType !== 'JOB_SUCCEEDED' && p.eventType !== 'JOB_FAILED')) {
        expect(p).toEqual(before.preferences.find((b: { eventType: string }) => b.eventType === p.eventType));
      }
    });
  });

  it('applies a one-click unsubscribe (RFC 8058) once: exactly one preference changes, a replay changes nothing', async () => {
    const e = failed('billing');
    await publish(e);
    const { oneClick } = linksOf(await mailTo(e.id, HAVE_CHROMIUM ? 4 : 5, 'cem'));
    expect(oneClick).toMatch(/^https:\/\/herald\.example\.com\/unsubscribe\?t=[A-Za-z0-9_-]+$/);
    const before = await me('cem');

    const res = await request(local(oneClick)).post('').type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    expect(res.text).toContain('You will no longer receive &quot;Job failed&quot; mails about Billing.');
    const after = await me('cem');
    expect(after.notificationsEnabled).toBe(before.notificationsEnabled);
    const changed = after.preferences.filter((p: object, i: number) => JSON.stringify(p) !== JSON.stringify(before.preferences[i]));
    expect(changed).toEqual([{ eventType: 'JOB_FAILED', enabled: true, source: 'DEFAULT', applicationOverrides: [{ applicationId: 'billing', enabled: false }] }]);

    // The same POST again: refused, clearly, and nothing changes (cem turned it back on meanwhile).
    await app.gql('mutation { setNotificationPreference(input: { eventType: JOB_FAILED, applicationId: "billing", enabled: true }) { id } }', {}, app.token(Role.USER, 'cem'));
    const replay = await request(local(oneClick)).post('').type('form').send('List-Unsubscribe=One-Click');
    expect(replay.status).toBe(409);
    expect(replay.text).toContain('has been used already');
    expect((await me('cem')).preferences.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED').applicationOverrides).toEqual([{ applicationId: 'billing', enabled: true }]);

    // A GET (a mail program without one-click, a link scanner) only shows the page.
    const shown = await request(local(oneClick)).get('');
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('<html lang="en">');
    // A POST without the one-click body is not one.
    expect((await request(local(oneClick)).post('').type('form').send('x=1')).status).toBe(400);
  });

  it('works from a "fixed" mail too (JOB_RECOVERED, a type Herald derives): one-click turns off exactly that type', async () => {
    const failure = { ...failed('payroll'), job: { ...job, kind: 'snapshot' } };
    await publish(failure);
    await mailsOf(failure.id, 2);
    const fixed = { ...failure, id: `pref-${process.pid}-${++seq}`, type: 'JOB_SUCCEEDED', occurredAt: '2026-11-24T09:20:00Z', error: undefined };
    await publish(fixed);
    const mail = (await mailsOf(fixed.id, 2)).find((m) => m.to[0] === 'bob@example.com')!;
    expect(mail.parsed.subject).toBe('[Payroll] Snapshot fixed after 1 failure');
    const { page, oneClick } = linksOf(mail);
    expect((await request(local(page)).get('')).status).toBe(200);
    expect((await request(local(oneClick)).post('').type('form').send('List-Unsubscribe=One-Click')).status).toBe(200);
    const recovered = (await me('bob')).preferences.find((p: { eventType: string }) => p.eventType === 'JOB_RECOVERED');
    expect(recovered.applicationOverrides).toEqual([{ applicationId: 'payroll', enabled: false }]);
  });

  it("answers one-click and shows the page right for every type, in the person's language", async () => {
    const example = (type: NotificationType) => {
      const file = messagesFile(eventTypeOf(type), 'en').replace(/\.en\.json$/, '.example.json');
      return { ...JSON.parse(readFileSync(file, 'utf8')), id: `pref-${process.pid}-${++seq}`, application: { id: 'toutes', name: 'Toutes' } };
    };
    // Every registered type: its example, or for a type Herald derives, how an event of it comes about.
    const derived: Partial<Record<NotificationType, () => Promise<object>>> = {
      // A fix: a success after a failure of the same kind (ida has turned failures off here by then: still recorded).
      JOB_RECOVERED: async () => {
        const failure = { ...example(NotificationType.JOB_FAILED), occurredAt: '2026-11-24T11:00:00Z' };
        await publish(failure);
        return { ...example(NotificationType.JOB_SUCCEEDED), job: failure.job, occurredAt: '2026-11-24T11:10:00Z' };
      },
      // Herald's own notice (a target's webhook deleted): Herald records it, as TargetDisabler does; nothing to publish.
      TARGET_DISABLED: async () => {
        const notice = example(NotificationType.TARGET_DISABLED);
        await app.app.get(Transactions).run((manager) => app.app.get(JobEventIngestionService).recordWithin(manager, notice));
        recordedByHerald.add(notice.id);
        return notice;
      },
    };
    const recordedByHerald = new Set<string>();
    for (const definition of allEventTypes()) {
      const { type } = definition;
      const bring = definition.derivedFrom ? derived[type] : async () => example(type);
      if (!bring) throw new Error(`${type} is a type Herald derives: say here how an event of it comes about`);
      // A type off by default reaches those who chose it: ida does.
      if (!definition.enabledByDefault) await app.gql(`mutation { setNotificationPreference(input: { eventType: ${type}, enabled: true }) { id } }`, {}, app.token(Role.USER, 'ida'));
      await oneClickFrom(type, (await bring()) as { id: string }).catch((error: Error) => {
        throw new Error(`${type}: ${error.message}`);
      });
    }
    async function oneClickFrom(type: NotificationType, event: { id: string }) {
      if (!recordedByHerald.has(event.id)) await publish(event);
      const mail = await mailTo(event.id, 1, 'ida');
      expect(mail.parsed.headers.get('x-herald-delivery-id')).toBeTruthy();
      const { page, oneClick } = linksOf(mail);
      const label = typeLabel(type, 'fr');

      const shown = await request(local(page)).get('').set('accept-language', 'en');
      expect(shown.status).toBe(200);
      expect(shown.text).toContain('<html lang="fr">');
      expect(plain(shown.text)).toContain(`<legend>Ne plus recevoir les messages « ${label} » sur Toutes…</legend>`);

      const before = await me('ida');
      const answer = await request(local(oneClick)).post('').type('form').send('List-Unsubscribe=One-Click');
      expect(answer.status).toBe(200);
      expect(answer.text).toContain('<html lang="fr">');
      expect(plain(answer.text)).toContain(`Vous ne recevrez plus les messages « ${label} » sur Toutes.`);
      const after = await me('ida');
      const changed = after.preferences.filter((p: object, i: number) => JSON.stringify(p) !== JSON.stringify(before.preferences[i]));
      expect(changed).toEqual([expect.objectContaining({ eventType: type, applicationOverrides: [{ applicationId: 'toutes', enabled: false }] })]);
    }
  });

  describe('answers to links that do not work, in the language of whom they were for', () => {
    let link: { page: string; oneClick: string };
    beforeAll(async () => {
      const e = failed('paie');
      await publish(e);
      link = linksOf(await mailFor(e.id, 'hal'));
    });

    it('expired: the person the link was for reads French', async () => {
      const links = app.app.get(PreferenceLinks);
      const check = links.tokens.verify(new URL(link.page).searchParams.get('t'), new Date());
      const expired = links.tokens.sign((check as { deliveryId: number }).deliveryId, new Date(Date.now() - 1000));
      const page = await request(app.url).get('/preferences').query({ t: expired }).set('accept-language', 'en');
      expect(page.status).toBe(410);
      expect(page.text).toContain('<html lang="fr">');
      expect(page.text).toContain('<title>Ce lien ne fonctionne pas</title>');
      expect(page.text).toContain('Ce lien a expiré.');
    });

    it('replayed: a one-click sent twice, and a page form sent twice', async () => {
      expect((await request(local(link.oneClick)).post('').type('form').send('List-Unsubscribe=One-Click')).status).toBe(200);
      const { result: replay, log } = await capturingOutput(() => request(local(link.oneClick)).post('').type('form').send('List-Unsubscribe=One-Click'));
      expect(log).not.toMatch(/ERROR|statement failed/); // expected, and answered: not a failure of the database
      expect(replay.status).toBe(409);
      expect(replay.text).toContain('<html lang="fr">');
      expect(replay.text).toContain('Ce lien ou ce formulaire a déjà servi');
    });

    it("tampered: nobody is known, so the browser's language (Accept-Language), else the admin's default, else English", async () => {
      const token = new URL(link.page).searchParams.get('t')!;
      const bad = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
      const ask = (languages?: string) => {
        const req = request(app.url).get('/preferences').query({ t: bad });
        return languages ? req.set('accept-language', languages) : req;
      };
      const french = await ask('de-CH, fr-CA;q=0.8, en;q=0.5');
      expect(french.status).toBe(400);
      expect(french.text).toContain('<html lang="fr-CA">');
      expect(plain(french.text)).toContain('Ce lien n’est pas valide : il a peut-être été coupé ou modifié.');
      expect((await ask('de')).text).toContain('<html lang="en">');
      await app.admin('mutation { updateMailDefaults(input: { language: "fr" }) { language } }');
      try {
        expect((await ask('de')).text).toContain('<html lang="fr">');
        expect((await ask()).text).toContain('<html lang="fr">');
        expect((await ask('en-GB')).text).toContain('<html lang="en-GB">');
      } finally {
        await app.admin('mutation { updateMailDefaults(input: { language: null }) { language } }');
      }
    });
  });

  describe('links that must not work answer a clear page and change nothing', () => {
    let link: { page: string; oneClick: string };
    let before: unknown;
    beforeAll(async () => {
      const e = failed('billing');
      await publish(e);
      link = linksOf((await mailsOf(e.id, HAVE_CHROMIUM ? 4 : 5)).find((m) => m.to[0] === 'dan@example.com')!);
      before = await me('dan');
    });
    afterEach(async () => expect(await me('dan')).toEqual(before));

    it('tampered: any character changed, or cut', async () => {
      const token = new URL(link.oneClick).searchParams.get('t')!;
      const flipped = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
      for (const bad of [flipped, token.slice(0, -1), `${token}A`, '', 'x'.repeat(38)]) {
        const page = await request(app.url).get('/preferences').query({ t: bad });
        expect(page.status).toBe(400);
        expect(page.text).toContain('This link is not valid');
        expect(page.text).toContain('<html lang="en">');
        const click = await request(app.url).post('/unsubscribe').query({ t: bad }).type('form').send('List-Unsubscribe=One-Click');
        expect(click.status).toBe(400);
      }
      // The form, with a token not signed by Herald.
      const form = await request(app.url).post('/preferences').type('form').send({ t: flipped, form: 'a'.repeat(22), action: 'stop', stop: 'everything' });
      expect(form.status).toBe(400);
    });

    it('expired: signed by Herald, but older than PREFERENCES_LINK_TTL_DAYS', async () => {
      const links = app.app.get(PreferenceLinks);
      const check = links.tokens.verify(new URL(link.page).searchParams.get('t'), new Date());
      expect(check.ok).toBe(true);
      const expired = links.tokens.sign((check as { deliveryId: number }).deliveryId, new Date(Date.now() - 1000));
      const page = await request(app.url).get('/preferences').query({ t: expired });
      expect(page.status).toBe(410);
      expect(page.text).toContain('This link has expired');
      expect((await request(app.url).post('/unsubscribe').query({ t: expired }).type('form').send('List-Unsubscribe=One-Click')).status).toBe(410);
    });

    it('replayed: a submitted form sent again', async () => {
      const page = await request(local(link.page)).get('');
      const stopForm = /name="form" value="([A-Za-z0-9_-]{22})">\s*<input type="hidden" name="action" value="stop">/.exec(page.text)![1];
      const token = new URL(link.page).searchParams.get('t')!;
      const submit = () => request(app.url).post('/preferences').type('form').send({ t: token, form: stopForm, action: 'stop', stop: 'type-everywhere' });
      expect((await submit()).status).toBe(200);
      // Undo it through the API, then replay the captured request: refused, nothing changes.
      await app.gql('mutation { setNotificationPreference(input: { eventType: JOB_FAILED, enabled: null }) { id } }', {}, app.token(Role.USER, 'dan'));
      const replay = await submit();
      expect(replay.status).toBe(409);
      expect(replay.text).toContain('has been used already');
    });
  });

  it('logs the paths of links, never their tokens', async () => {
    const { page } = linksOf(sink.received.find((m) => m.to[0] === 'eve@example.com')!);
    const token = new URL(page).searchParams.get('t')!;
    // Another app with the same secret, logging everything: the token is signed right, its delivery is not there.
    const verbose = await HeraldTestApp.start({ HERALD_PUBLIC_URL: PUBLIC_URL, LOG_LEVEL: 'verbose' });
    try {
      const { log } = await capturingOutput(async () => {
        expect((await request(verbose.url).get('/preferences').query({ t: token })).status).toBe(410);
        expect((await request(verbose.url).get('/preferences').query({ t: `${token.slice(0, -2)}zz` })).status).toBe(400);
        expect((await request(verbose.url).get('/no-such-page').query({ t: token })).status).toBe(404);
      });
      expect(log).toContain('GET /preferences: 410 gone');
      expect(log).toContain('GET /preferences: 400 invalid');
      expect(log).toContain('GET /no-such-page');
      expect(log).not.toContain(token.slice(0, 20));
    } finally {
      await verbose.close();
    }
  });
});

describe(`preferences links pointing at the console (${DATABASE_KIND})`, () => {
  it('PREFERENCES_PAGE=console keeps <gateway>/profile/notifications, without one-click', async () => {
    const sink = await new SmtpSink().start();
    const app = await HeraldTestApp.start({ HERALD_PUBLIC_URL: PUBLIC_URL, PREFERENCES_PAGE: 'console' });
    try {
      await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'herald@example.com', gatewayUri: 'https://console.example.com/aip' } });
      await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }]);
      const e = failed('billing');
      await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
      const [mail] = await eventually(async () => {
        expect(sink.received).toHaveLength(1);
        return sink.received;
      });
      expect(mail.raw).toMatch(/^List-Unsubscribe: <https:\/\/console\.example\.com\/aip\/profile\/notifications>\r$/m);
      expect(mail.raw).not.toMatch(/^List-Unsubscribe-Post:/m);
      expect(mail.parsed.text).toContain('Change your notification preferences: https://console.example.com/aip/profile/notifications');
    } finally {
      await app.close();
      await sink.stop();
    }
  });
});

describe(`sendMeTestEmail (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ SMTP_CHECK_RATE_LIMIT: '2' });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' } });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it("sends a USER the test mail at their profile's address, step by step, and no more than the rate limit", async () => {
    const token = app.token(Role.USER, 'uma', { email: 'claimed@example.com' });
    await app.gql('mutation { updateMyProfile(input: { email: "uma@example.com" }) { id } }', {}, token);
    const res = await app.gql(SEND_ME, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data.sendMeTestEmail.ok).toBe(true);
    expect(res.data.sendMeTestEmail.steps.find((s: { step: string }) => s.step === 'SEND')).toMatchObject({ status: 'OK', message: expect.stringContaining('uma@example.com') });
    const mail = await eventually(async () => {
      const got = sink.received.filter((m) => m.to[0] === 'uma@example.com');
      expect(got).toHaveLength(1);
      return got[0];
    });
    expect(mail.parsed.subject).toBe('Herald test message');

    expect((await app.gql(SEND_ME, {}, token)).errors).toBeUndefined();
    expect((await app.gql(SEND_ME, {}, token)).errors?.[0].extensions.code).toBe('TOO_MANY_REQUESTS');
    // Per person: another has a budget of their own.
    const other = app.token(Role.USER, 'vic');
    await app.gql('mutation { updateMyProfile(input: { email: "vic@example.com" }) { id } }', {}, other);
    expect((await app.gql(SEND_ME, {}, other)).data.sendMeTestEmail.ok).toBe(true);
  });

  it('refuses a person without an email address, naming the field, and sends nothing', async () => {
    const count = sink.received.length;
    const res = await app.gql(SEND_ME, {}, app.token(Role.USER, 'nomail'));
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'email', message: expect.stringContaining('no email address') }] });
    expect((await app.gql(SEND_ME, {}, app.token(Role.SERVICE, 'console'))).errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect(sink.received).toHaveLength(count);
  });
});

describe(`APPLICATION_CREATED with its managers, in any order (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const publish = (event: object) => app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ USERS_NOTIFICATIONS_DEFAULT: 'true' });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'herald@example.com' } });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('records the managers of an application Herald has not seen, and mails them and the creator', async () => {
    const event = {
      schemaVersion: 2,
      id: `created-${process.pid}`,
      type: 'APPLICATION_CREATED',
      occurredAt: '2026-11-24T09:00:00Z',
      application: { id: 'new-app', name: 'New App' },
      createdBy: { id: 'creator', name: 'Cora' },
      managers: [
        { id: 'creator', name: 'Cora', email: 'cora@example.com' },
        { id: 'mia', name: 'Mia', email: 'mia@example.com' },
        { id: 'no-address', name: 'Nobody' },
      ],
    };
    const res = await publish(event);
    expect(res.errors).toBeUndefined();
    expect(res.data.publishJobEvent.deliveries).toBe(2);
    const mails = await eventually(async () => {
      const got = sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === event.id);
      expect(got).toHaveLength(2);
      return got;
    });
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['cora@example.com', 'mia@example.com']);
    expect(mails[0].parsed.text).toContain('Cora');
    const people = await app.admin('{ recipientsPreview(eventType: JOB_FAILED, applicationId: "new-app") { userId email } }');
    expect(people.recipientsPreview.map((r: { email: string }) => r.email).sort()).toEqual(['cora@example.com', 'mia@example.com']);
  });

  it('still accepts version 1 events, and refuses managers in one', async () => {
    const v1 = { schemaVersion: 1, id: `created-v1-${process.pid}`, type: 'APPLICATION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: 'old-app', name: 'Old App' }, createdBy: { id: 'x' } };
    const ok = await publish(v1);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.publishJobEvent).toEqual({ eventId: v1.id, deliveries: 0 });
    const bad = await publish({ ...v1, id: `${v1.id}-m`, managers: [{ id: 'y' }] });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'managers', message: 'needs schemaVersion 2' }] });
  });
});
