import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, type HeraldTestApp } from './support/herald-test-app';
import { failureMailTo, linksOf, PUBLIC_URL, startForLinks } from './support/preference-links';
import { SmtpSink } from './support/smtp-sink';

/**
 * The signed links of a mail (preferences page, one-click unsubscribe) are for the
 * address the mail went to: once the person's address changes — themselves through
 * updateMyProfile, or an admin through updateUser — the links of mails sent to the
 * old one answer "no longer valid" and change nothing, while those of mails sent to
 * the new one work.
 */
const ME = '{ me { email notificationsEnabled preferences { eventType enabled applicationOverrides { applicationId enabled } } } }';
let seq = 0;

describe(`preferences links after an email change (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const local = (url: string) => url.replace(PUBLIC_URL, app.url);
  const me = async (person: string) => (await app.gql(ME, {}, app.token(Role.USER, person))).data.me;

  /** Publishes a failure of Billing and returns the links of the mail that reaches `address`. */
  const mailTo = async (address: string) => {
    const links = linksOf(await failureMailTo(app, sink, `email-change-${process.pid}-${++seq}`, address));
    return { ...links, page: local(links.page), oneClick: local(links.oneClick) };
  };
  /** The id of the "stop" form of a page. */
  const stopFormOf = (html: string) => /name="form" value="([A-Za-z0-9_-]{22})">\s*<input type="hidden" name="action" value="stop">/.exec(html)![1];

  /** Every way in of an old link: refused with the same clear page, and nothing of the person changes. */
  async function expectNoLongerValid(person: string, links: { page: string; oneClick: string; token: string }, stopForm: string) {
    const before = await me(person);
    const answers = [
      await request(links.page).get(''),
      await request(links.oneClick).get(''),
      await request(links.oneClick).post('').type('form').send('List-Unsubscribe=One-Click'),
      await request(app.url).post('/preferences').type('form').send({ t: links.token, form: stopForm, action: 'stop', stop: 'everything' }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(410);
      expect(res.text).toContain('<title>This link does not work</title>');
      expect(res.text).toContain('This link is no longer valid: it was sent to an email address that is no longer the one of this profile.');
      // Nothing of the person shows: not their name, nor their new address.
      expect(res.text).not.toContain('@');
    }
    expect(await me(person)).toEqual(before);
  }

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await startForLinks(sink);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('a person changes their own address: the old mail\'s links end, the new mail\'s work', async () => {
    const old = await mailTo('ann@example.com');
    // The old links worked before the change.
    const page = await request(old.page).get('');
    expect(page.status).toBe(200);
    const stopForm = stopFormOf(page.text);

    const changed = await app.gql('mutation { updateMyProfile(input: { email: "ann@new.example.com" }) { email } }', {}, app.token(Role.USER, 'ann'));
    expect(changed).toEqual({ data: { updateMyProfile: { email: 'ann@new.example.com' } } });
    await expectNoLongerValid('ann', old, stopForm);

    const fresh = await mailTo('ann@new.example.com');
    expect((await request(fresh.page).get('')).status).toBe(200);
    const click = await request(fresh.oneClick).post('').type('form').send('List-Unsubscribe=One-Click');
    expect(click.status).toBe(200);
    expect(click.text).toContain('You will no longer receive');
    expect((await me('ann')).preferences.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED').applicationOverrides).toEqual([{ applicationId: 'billing', enabled: false }]);
  });

  it('an admin changes the address (updateUser), even in case only: the old links end', async () => {
    const old = await mailTo('bob@example.com');
    const stopForm = stopFormOf((await request(old.page).get('')).text);
    await app.admin('mutation { updateUser(input: { userId: "bob", email: "Bob@example.com" }) { email } }');
    await expectNoLongerValid('bob', old, stopForm);
    expect((await request((await mailTo('Bob@example.com')).page).get('')).status).toBe(200);
  });
});
