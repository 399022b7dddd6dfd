import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { PreferenceLinks } from '../src/notifications/preference-links/preference-links';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
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
if (!HAVE_CHROMIUM) console.warn(`test/preferences.e2e-spec.ts: the browser flow is skipped, no ${CHROMIUM} here (apt-get install -y chromium; .ci/run installs it)`);

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const ME = '{ me { notificationsEnabled preferences { eventType enabled source applicationOverrides { applicationId enabled } } } }';
const SEND_ME = 'mutation { sendMeTestEmail { ok steps { step status message } } }';

let seq = 0;
const job = { id: 'job-1', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' };
const failed = (applicationId: string) => ({
  schemaVersion: 1,
  id: `pref-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-11-24T09:10:00Z',
  application: { id: applicationId, name: applicationId === 'billing' ? 'Billing' : 'Payroll' },
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
  const me = async (person: string) => (await app.gql(ME, {}, app.token(Role.USER, person))).data.me;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ HERALD_PUBLIC_URL: PUBLIC_URL, DISPATCH_SWEEP_INTERVAL_MS: '100' });
    await app.admin(UPDATE_SMTP, {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }, { id: 'bob' }, { id: 'cem' }, { id: 'dan' }, { id: 'eve' }]);
    await seedApplication(app, { id: 'payroll', name: 'Payroll' }, [{ id: 'ann' }, { id: 'bob' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  (HAVE_CHROMIUM ? describe : describe.skip)('in Chromium', () => {
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
      const check = links.tokens.verify(new URL(link.page).searchParams.get('t'));
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
