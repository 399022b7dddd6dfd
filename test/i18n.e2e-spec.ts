import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const UPDATE_ME = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id locale timeZone } }';
const UPDATE_USER = 'mutation($input: UpdateUserInput!) { updateUser(input: $input) { id locale timeZone } }';
const ME = '{ me { id locale timeZone } }';
const DEFAULTS = '{ mailDefaults { language timeZone updatedBy } }';
const UPDATE_DEFAULTS = 'mutation($input: UpdateMailDefaultsInput!) { updateMailDefaults(input: $input) { language timeZone updatedBy } }';

/** Intl separates some parts with no-break spaces (9:42 AM); the mails are compared on plain ones. */
const plain = (s: string | false | undefined) => (s || '').replace(/[\u00a0\u202f]/g, ' ');

let seq = 0;
const failed = () => ({
  schemaVersion: 1,
  id: `i18n-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-11-24T09:42:30Z',
  application: { id: 'app-i18n', name: 'Billing' },
  job: { id: 'job-42', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' },
  error: { message: 'Out of memory', step: 'Run analyzer' },
});

describe(`mails in each person's language and time zone (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const as = (id: string) => app.token(Role.USER, id);

  /** Publishes an event and waits for its mail to each of `who`, by person. */
  const deliver = async (who: string[]): Promise<Record<string, ReceivedMail>> => {
    const e = failed();
    const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
    expect(res.errors).toBeUndefined();
    return eventually(async () => {
      const mails = sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === e.id);
      const byPerson = Object.fromEntries(mails.map((m) => [m.to[0].split('@')[0], m]));
      expect(Object.keys(byPerson).sort()).toEqual([...who].sort());
      return byPerson;
    });
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    // The default time zone comes from the environment on first start, as the SMTP settings do.
    app = await HeraldTestApp.start({ MAIL_DEFAULT_TIME_ZONE: 'Europe/Paris' });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' } });
    await seedApplication(app, { id: 'app-i18n', name: 'Billing' }, [{ id: 'amelie' }, { id: 'john' }, { id: 'nobody' }]);
    expect((await app.gql(UPDATE_ME, { input: { locale: 'fr', timeZone: 'Europe/Paris' } }, as('amelie'))).data.updateMyProfile).toEqual({ id: 'amelie', locale: 'fr', timeZone: 'Europe/Paris' });
    await app.admin(UPDATE_USER, { input: { userId: 'john', locale: 'en-US', timeZone: 'America/New_York' } });
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('shows each person their time zone', async () => {
    expect((await app.gql(ME, {}, as('john'))).data.me).toEqual({ id: 'john', locale: 'en-US', timeZone: 'America/New_York' });
    expect((await app.gql(ME, {}, as('nobody'))).data.me).toEqual({ id: 'nobody', locale: null, timeZone: null });
    expect(await app.admin(DEFAULTS)).toEqual({ mailDefaults: { language: null, timeZone: 'Europe/Paris', updatedBy: 'seed' } });
  });

  it('writes the same event to each in their language, with their local times', async () => {
    const mails = await deliver(['amelie', 'john', 'nobody']);

    const fr = mails.amelie.parsed;
    expect(fr.subject).toBe('[Billing] Échec de l’analyse\u00a0: Run analyzer');
    expect(plain(fr.text)).toContain('L’analyse de Billing a échoué à l’étape « Run analyzer ».');
    expect(plain(fr.text)).toMatch(/Début :\s+24 nov\. 2026, 10:00 CET/);
    expect(plain(fr.text)).toMatch(/Durée :\s+42 min et 30 s/);
    expect(plain(fr.text)).toMatch(/Date :\s+24 nov\. 2026, 10:42 CET/);
    expect(fr.html).toContain('<html lang="fr">');
    expect(plain(fr.html)).toContain('L’analyse de <b><bdi>Billing</bdi></b> a échoué à l’étape <b><bdi>Run analyzer</bdi></b>.');
    expect(plain(fr.html)).toContain('<td>24 nov. 2026, 10:42 CET</td>');
    expect(fr.html).toContain('Modifier vos préférences de notification');

    const en = mails.john.parsed;
    expect(en.subject).toBe('[Billing] Analysis failed: Run analyzer');
    expect(plain(en.text)).toContain('The analysis of Billing failed at step "Run analyzer".');
    expect(plain(en.text)).toMatch(/Started:\s+Nov 24, 2026, 4:00 AM EST/);
    expect(plain(en.text)).toMatch(/When:\s+Nov 24, 2026, 4:42 AM EST/);
    expect(plain(en.text)).toMatch(/Took:\s+42 min, 30 sec/);
    expect(en.html).toContain('<html lang="en-US">');
    expect(plain(en.html)).toContain('<td>Nov 24, 2026, 4:42 AM EST</td>');

    // No language or zone of their own: the admin's (no default language yet: English; the seeded zone).
    const none = mails.nobody.parsed;
    expect(none.subject).toBe('[Billing] Analysis failed: Run analyzer');
    expect(none.html).toContain('<html lang="en">');
    expect(plain(none.text)).toMatch(/When:\s+Nov 24, 2026, 10:42 AM CET/);
  });

  it("writes to someone who set no language in the admin's default language, once the admin sets one", async () => {
    expect(await app.admin(UPDATE_DEFAULTS, { input: { language: 'fr', timeZone: 'America/New_York' } })).toEqual({
      updateMailDefaults: { language: 'fr', timeZone: 'America/New_York', updatedBy: 'admin' },
    });
    const mails = await deliver(['amelie', 'john', 'nobody']);
    const none = mails.nobody.parsed;
    // The second failure of Billing's analysis in a row: "still failing", in French too.
    expect(none.subject).toBe('[Billing] L’analyse échoue encore (2e échec d’affilée)\u00a0: Run analyzer');
    expect(none.html).toContain('<html lang="fr">');
    expect(plain(none.text)).toMatch(/Date :\s+24 nov\. 2026, 04:42 EST/);
    // Those who chose keep their choice.
    expect(mails.john.parsed.subject).toBe('[Billing] Analysis still failing (2nd failure in a row): Run analyzer');
    expect(plain(mails.amelie.parsed.text)).toMatch(/Date :\s+24 nov\. 2026, 10:42 CET/);
  });

  it('isolates right-to-left names in the HTML part (<bdi>), and writes them as they are in the text part', async () => {
    const arabic = 'الفوترة'; // "Billing"
    const hebrew = 'דנה כהן';
    await seedApplication(app, { id: 'app-rtl', name: arabic }, [{ id: 'rtl-reader' }]);
    await app.admin(UPDATE_USER, { input: { userId: 'rtl-reader', locale: 'en', timeZone: 'UTC' } });
    const e = {
      schemaVersion: 1,
      id: `i18n-rtl-${process.pid}`,
      type: 'JOB_STOPPED',
      occurredAt: '2026-11-24T09:42:30Z',
      application: { id: 'app-rtl', name: arabic },
      job: { id: 'job-rtl', kind: 'analysis' },
      stoppedBy: { id: 'dana', name: hebrew },
    };
    expect((await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'))).errors).toBeUndefined();
    const mail = await eventually(async () => {
      const mine = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === e.id);
      if (!mine) throw new Error('no mail yet');
      return mine;
    });
    const html = mail.parsed.html as string;
    // The heading, the sentence and the table: each name in an element of its own direction.
    expect(html).toMatch(new RegExp(`<h1[^>]*>Analysis stopped: <bdi>${arabic}</bdi></h1>`));
    expect(html).toContain(`The analysis of <b><bdi>${arabic}</bdi></b> was stopped by <b><bdi>${hebrew}</bdi></b>.`);
    expect(html).toContain(`<td><bdi>${arabic}</bdi> (<bdi>app-rtl</bdi>)</td>`);
    expect(html).toContain(`You receive this because you may manage <bdi>${arabic}</bdi> in the console.`);
    // Nowhere without its <bdi> but in the <title> (plain text, as the subject).
    expect(html.replaceAll(`<bdi>${arabic}</bdi>`, '').split(arabic)).toHaveLength(2);
    expect(html).toContain(`<title>[${arabic}] Analysis stopped by ${hebrew}</title>`);
    expect(mail.parsed.text).toContain(`The analysis of ${arabic} was stopped by ${hebrew}.`);
    expect(mail.parsed.subject).toBe(`[${arabic}] Analysis stopped by ${hebrew}`);
  });

  it('refuses a bad time zone or language, naming the field, and changes nothing', async () => {
    const mine = await app.gql(UPDATE_ME, { input: { timeZone: 'Mars/Olympus', locale: 'not a locale!' } }, as('amelie'));
    expect(mine.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(mine.errors![0].extensions.fields!.map((f: { field: string }) => f.field).sort()).toEqual(['locale', 'timeZone']);
    expect(mine.errors![0].extensions.fields).toContainEqual({ field: 'timeZone', message: 'must be an IANA time zone such as Europe/Paris or America/New_York' });

    const theirs = await app.gql(UPDATE_USER, { input: { userId: 'john', timeZone: 'EST+5' } }, app.token(Role.ADMIN, 'admin'));
    expect(theirs.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'timeZone' }] });

    const defaults = await app.gql(UPDATE_DEFAULTS, { input: { language: 'de', timeZone: 'Europe/Atlantis' } }, app.token(Role.ADMIN, 'admin'));
    expect(defaults.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(defaults.errors![0].extensions.fields).toEqual([
      { field: 'language', message: 'must be a language Herald writes mails in: en, fr (a region may follow, e.g. fr-CA)' },
      { field: 'timeZone', message: 'must be an IANA time zone such as Europe/Paris or America/New_York' },
    ]);

    expect((await app.gql(ME, {}, as('amelie'))).data.me).toEqual({ id: 'amelie', locale: 'fr', timeZone: 'Europe/Paris' });
    expect((await app.gql(ME, {}, as('john'))).data.me).toMatchObject({ timeZone: 'America/New_York' });
    expect((await app.admin(DEFAULTS)).mailDefaults).toMatchObject({ language: 'fr', timeZone: 'America/New_York' });
  });

  it('lets only admins see and change the mail defaults', async () => {
    expect((await app.gql(DEFAULTS, {}, as('john'))).errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect((await app.gql(UPDATE_DEFAULTS, { input: { language: 'en' } }, as('john'))).errors?.[0].extensions.code).toBe('FORBIDDEN');
  });
});
