import request from 'supertest';
import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, type HeraldTestApp } from './support/herald-test-app';
import { eventually } from './support/people';
import { failureMailTo, startForLinks } from './support/preference-links';
import type { ReceivedMail } from './support/smtp-sink';
import { SmtpSink } from './support/smtp-sink';

/**
 * The links of a mail as mail programs and browsers really use them, with Herald
 * published under a path of a shared host (a reverse proxy's `location /herald/`):
 * RFC 8058's one-click POST in the form its section 3.1 recommends (multipart/form-data),
 * the page's forms posted back under that path, and a form made by hand refused whole.
 */
const PUBLIC_URL = 'https://tools.example.com/herald';
const ME = '{ me { preferences { eventType applicationOverrides { applicationId enabled } } } }';
let seq = 0;
const BODY_LIMIT = '64kb';

describe(`one-click and page forms as mail programs and browsers send them (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  /** What a proxy publishing Herald at PUBLIC_URL forwards: the path without its prefix. */
  const local = (url: string) => url.replace(PUBLIC_URL, app.url);

  /** The page link of the mail's text part and the one-click address of its header, on PUBLIC_URL. */
  function linksOf(mail: ReceivedMail): { page: string; oneClick: string } {
    const page = /(https:\/\/tools\.example\.com\/herald\/preferences\?t=[A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')?.[1];
    const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    const oneClick = /^List-Unsubscribe: <([^>]+)>$/m.exec(headers)?.[1];
    expect(page && oneClick).toBeTruthy();
    return { page: page!, oneClick: oneClick! };
  }
  const mailTo = async (address: string) => linksOf(await failureMailTo(app, sink, `one-click-forms-${process.pid}-${++seq}`, address));
  const overridesOf = async (person: string) =>
    (await app.gql(ME, {}, app.token(Role.USER, person))).data.me.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED').applicationOverrides;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await startForLinks(sink, { HERALD_PUBLIC_URL: PUBLIC_URL, HTTP_BODY_LIMIT: BODY_LIMIT });
    // carol, a third member of Billing, for the refused bodies.
    expect((await app.gql('mutation { updateMyProfile(input: { email: "carol@example.com", notificationsEnabled: true }) { id } }', {}, app.token(Role.USER, 'carol'))).errors).toBeUndefined();
    const grant = 'mutation { grantMembership(input: { userId: "carol", applicationId: "billing", role: MANAGE }) { role } }';
    expect((await app.gql(grant, {}, app.token(Role.SERVICE, 'console'))).errors).toBeUndefined();
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('takes the one-click POST as multipart/form-data (RFC 8058 3.1: SHOULD), as it takes it urlencoded', async () => {
    const { oneClick } = await mailTo('ann@example.com');
    expect(oneClick).toMatch(/^https:\/\/tools\.example\.com\/herald\/unsubscribe\?t=/);
    const res = await request(local(oneClick)).post('').field('List-Unsubscribe', 'One-Click');
    expect(res.status).toBe(200);
    expect(res.text).toContain('You will no longer receive &quot;Job failed&quot; mails about Billing.');
    expect(await overridesOf('ann')).toEqual([{ applicationId: 'billing', enabled: false }]);
    // Multipart without the one-click field is no one-click: refused, nothing changed.
    const { oneClick: other } = await mailTo('bob@example.com');
    expect((await request(local(other)).post('').field('x', '1')).status).toBe(400);
    expect(await overridesOf('bob')).toEqual([]);
  });

  it("answers a body Herald's parsers refuse with the page's refusal, in HTML, with a status a mail program understands", async () => {
    const { oneClick, page } = await mailTo('carol@example.com');
    const token = new URL(page).searchParams.get('t')!;
    const html = (res: request.Response, status: number, text: string) => {
      expect({ status: res.status, type: res.headers['content-type'], cache: res.headers['cache-control'] }).toEqual({ status, type: 'text/html; charset=utf-8', cache: 'no-store' });
      expect(res.text).toContain(text);
      expect(res.text).not.toContain('statusCode');
    };
    const NOT_ONE_CLICK = 'This address takes a one-click unsubscribe (List-Unsubscribe&#x3D;One-Click) from a mail program.';
    const TOO_LARGE = 'Nothing was changed: what was sent is larger than the forms of this page send.';
    // The one-click POST as multipart/form-data: a file, more fields than it has, a field longer than it is.
    html(await request(local(oneClick)).post('').field('List-Unsubscribe', 'One-Click').attach('file', Buffer.from('x'), 'x.txt'), 400, NOT_ONE_CLICK);
    const many = request(local(oneClick)).post('').field('List-Unsubscribe', 'One-Click');
    for (let i = 0; i < 11; i++) many.field(`f${i}`, 'x');
    html(await many, 400, NOT_ONE_CLICK);
    html(await request(local(oneClick)).post('').field('List-Unsubscribe', 'One-Click').field('x', 'x'.repeat(2000)), 400, NOT_ONE_CLICK);
    // A body over HTTP_BODY_LIMIT, urlencoded: to the one-click address, the page's form, the confirmation page's.
    const big = 'x'.repeat(65 * 1024);
    html(await request(local(oneClick)).post('').type('form').send({ 'List-Unsubscribe': 'One-Click', big }), 413, TOO_LARGE);
    html(await request(app.url).post('/preferences').type('form').send({ t: token, action: 'stop', stop: 'everything', big }), 413, TOO_LARGE);
    html(await request(app.url).post('/preferences').set('accept-language', 'fr').type('form').send({ t: token, big }), 413, 'Rien n’a été modifié');
    const confirm = await request(app.url).post('/subscriptions/confirm').type('form').send({ t: 'x', big });
    expect({ status: confirm.status, type: confirm.headers['content-type'] }).toEqual({ status: 413, type: 'text/html; charset=utf-8' });
    expect(confirm.text).toContain('Nothing was changed: what was sent is larger than this page sends.');
    // Nothing of it changed anything; the one-click POST as the mail program sends it still works.
    expect(await overridesOf('carol')).toEqual([]);
    expect((await request(local(oneClick)).post('').field('List-Unsubscribe', 'One-Click')).status).toBe(200);
  });

  it('refuses a form with a choice the page does not offer, changing nothing of what came before it', async () => {
    const { page } = await mailTo('bob@example.com');
    const html = (await request(local(page)).get('')).text;
    const form = /name="form" value="([A-Za-z0-9_-]{22})">\s*<input type="hidden" name="action" value="save">/.exec(html)![1];
    const token = new URL(page).searchParams.get('t')!;
    const PROFILE = '{ me { notificationsEnabled preferences { eventType frequency } } }';
    const before = (await app.gql(PROFILE, {}, app.token(Role.USER, 'bob'))).data.me;
    // Notifications switched off (no notificationsEnabled field), and "the first failure and the fix" for a type that has no failures.
    const res = await request(app.url).post('/preferences').type('form').send({ t: token, form, action: 'save', 'type.JOB_SUCCEEDED': 'FIRST_AND_FIXED' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('This link is not valid');
    expect((await app.gql(PROFILE, {}, app.token(Role.USER, 'bob'))).data.me).toEqual(before);
  });

  it("posts a subscription's confirmation form back under the path Herald is published at", async () => {
    const SUBSCRIBE = 'mutation($input: SubscribeAddressInput!) { subscribeAddress(input: $input) { status } }';
    const res = await app.gql(SUBSCRIBE, { input: { applicationId: 'billing', address: 'billing-team@example.com', types: ['JOB_FAILED'] } }, app.token(Role.USER, 'ann'));
    expect(res.errors).toBeUndefined();
    const mail = await eventually(async () => {
      const got = sink.received.find((m) => m.to[0] === 'billing-team@example.com');
      expect(got).toBeDefined();
      return got!;
    });
    const link = /(https:\/\/tools\.example\.com\/herald\/subscriptions\/confirm\?t=[A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')![1];
    const html = (await request(local(link)).get('')).text;
    const actions = [...html.matchAll(/<form method="post" action="([^"]*)"/g)].map(([, action]) => new URL(action.replace(/&amp;/g, '&'), link).href);
    expect(actions).toEqual([`${PUBLIC_URL}/subscriptions/confirm`]);
    const token = new URL(link).searchParams.get('t');
    const confirmed = await request(local(actions[0])).post('').type('form').send({ t: token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Confirmed: billing-team@example.com now receives');
  });

  it('saves the whole form or nothing of it: a database failure at its second write leaves the first unwritten, and the form unspent', async () => {
    const { page } = await mailTo('bob@example.com');
    const html = (await request(local(page)).get('')).text;
    const form = /name="form" value="([A-Za-z0-9_-]{22})">\s*<input type="hidden" name="action" value="save">/.exec(html)![1];
    const token = new URL(page).searchParams.get('t')!;
    const PROFILE = '{ me { notificationsEnabled preferences { eventType frequency } } }';
    const profile = async () => (await app.gql(PROFILE, {}, app.token(Role.USER, 'bob'))).data.me;
    const before = await profile();
    expect(before.notificationsEnabled).toBe(true);
    expect(before.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_SUCCEEDED').frequency).not.toBe('DIGEST_HOURLY');
    // Notifications switched off (the first write: users), a type's choice changed (the second: preferences), which the database refuses.
    const save = { t: token, form, action: 'save', 'type.JOB_SUCCEEDED': 'DIGEST_HOURLY' };
    const dataSource = app.app.get(DataSource);
    const schema = app.storage.schema;
    if (DATABASE_KIND === 'sqlite') {
      await dataSource.query("CREATE TRIGGER refuse_preference_insert BEFORE INSERT ON preferences BEGIN SELECT RAISE(ABORT, 'refused'); END");
      await dataSource.query("CREATE TRIGGER refuse_preference_update BEFORE UPDATE ON preferences BEGIN SELECT RAISE(ABORT, 'refused'); END");
    } else {
      await dataSource.query(`CREATE FUNCTION "${schema}".refuse_preference() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
      await dataSource.query(`CREATE TRIGGER refuse_preference BEFORE INSERT OR UPDATE ON "${schema}".preferences FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_preference()`);
    }
    try {
      expect((await request(app.url).post('/preferences').type('form').send(save)).status).toBe(500);
      expect(await profile()).toEqual(before);
    } finally {
      if (DATABASE_KIND === 'sqlite') {
        await dataSource.query('DROP TRIGGER refuse_preference_insert');
        await dataSource.query('DROP TRIGGER refuse_preference_update');
      } else await dataSource.query(`DROP FUNCTION "${schema}".refuse_preference() CASCADE`);
    }
    // The same form again, the database willing: saved whole.
    const again = await request(app.url).post('/preferences').type('form').send(save);
    expect(again.status).toBe(200);
    expect(again.text).toContain('Saved.');
    const after = await profile();
    expect(after.notificationsEnabled).toBe(false);
    expect(after.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_SUCCEEDED').frequency).toBe('DIGEST_HOURLY');
    // bob's mails on again, for what follows.
    expect((await app.gql('mutation { updateMyProfile(input: { notificationsEnabled: true }) { id } }', {}, app.token(Role.USER, 'bob'))).errors).toBeUndefined();
  });

  it("posts the page's forms back under the path Herald is published at", async () => {
    const { page } = await mailTo('bob@example.com');
    const html = (await request(local(page)).get('')).text;
    const actions = [...html.matchAll(/<form method="post" action="([^"]*)"/g)].map(([, action]) => action);
    expect(actions.length).toBeGreaterThan(0);
    // Where the browser sends each form, from the page's address (from the mail's link, and from List-Unsubscribe's GET).
    for (const from of [page, page.replace('/preferences?', '/unsubscribe?')]) {
      for (const action of actions) expect(new URL(action.replace(/&amp;/g, '&'), from).href).toBe(`${PUBLIC_URL}/preferences`);
    }
  });
});
