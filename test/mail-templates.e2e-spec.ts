import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { DatabaseTemplateSource } from '../src/notifications/rendering/sources/database/database-template-source';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const TEMPLATE = 'type language subject html text customised version updatedBy updatedByName';
const TEMPLATES = `query($type: MailTemplateType, $language: String) { mailTemplates(type: $type, language: $language) { ${TEMPLATE} } }`;
const VERSIONS = 'query($type: MailTemplateType!, $language: String!) { mailTemplateVersions(type: $type, language: $language) { id version change restoredFrom subject html text customised current createdBy } }';
const UPDATE = `mutation($input: UpdateMailTemplateInput!) { updateMailTemplate(input: $input) { ${TEMPLATE} } }`;
const RESET = `mutation($input: ResetMailTemplateInput!) { resetMailTemplate(input: $input) { ${TEMPLATE} } }`;
const RESTORE = `mutation($input: RestoreMailTemplateVersionInput!) { restoreMailTemplateVersion(input: $input) { ${TEMPLATE} } }`;
const AUDIT = '{ auditLog(filter: { kind: MAIL_TEMPLATE }, first: 20) { edges { node { target actorId actorName fields { field before after } } } } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const UPDATE_ME = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }';

/** An admin's wording of JOB_FAILED in English: a subject, a heading of their own, the help desk. */
const ACME = {
  subject: '[ACME] {{summary}} ({{application.name}})',
  html: '{{#> layout}}<h2>Build broken</h2>\n<p>{{t "body"}} Call the help desk: 555-0100.</p>\n<p><code>{{error.message}}</code></p>{{/layout}}',
  text: '{{#> layout}}Build broken.\n{{t "body"}} Call the help desk: 555-0100.\nError: {{error.message}}\n{{/layout}}',
};

let seq = 0;
/** A failure in an application of its own: Herald's job history (still failing, fixed) stays out of these mails. */
const failed = (app = `app-tpl-${seq + 1}`) => ({
  schemaVersion: 1,
  id: `tpl-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-11-24T09:42:30Z',
  application: { id: app, name: 'Billing' },
  job: { id: 'job-42', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' },
  error: { message: 'Out of memory', step: 'Run analyzer' },
});

const seeded = new Set<string>(['app-cache']);

/** Publishes an event (its application managed by `who`) and answers its mail to each of them, by person. */
async function deliver(app: HeraldTestApp, sink: SmtpSink, who: string[], event: Record<string, any> = failed()): Promise<Record<string, ReceivedMail>> {
  if (!seeded.has(event.application.id)) await seedApplication(app, event.application, who.map((id) => ({ id })));
  seeded.add(event.application.id);
  const res = await app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
  expect(res.errors).toBeUndefined();
  return eventually(async () => {
    const mails = sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === event.id);
    const byPerson = Object.fromEntries(mails.map((m) => [m.to[0].split('@')[0], m]));
    expect(Object.keys(byPerson).sort()).toEqual([...who].sort());
    return byPerson;
  });
}

/** What a reader sees of a mail: subject, and both parts as parsed. */
const seen = (mail: ReceivedMail) => ({ subject: mail.parsed.subject, html: mail.parsed.html || '', text: mail.parsed.text || '' });

describe(`mail templates set by admins (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let refuseBob = false;
  const admin = () => app.token(Role.ADMIN, 'ann', { name: 'Ann Admin' });
  const as = async <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await app.gql<T>(query, variables, admin());
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!;
  };
  /** The refusal of an operation: its code and the fields it names. */
  const refusal = async (query: string, variables: Record<string, unknown>) => {
    const res = await app.gql(query, variables, admin());
    expect(res.data ?? null).toBeNull();
    return { code: res.errors?.[0].extensions.code, fields: res.errors?.[0].extensions.fields ?? [] };
  };

  beforeAll(async () => {
    sink = await new SmtpSink({ rejectRecipient: (to) => (refuseBob && to.startsWith('bob@') ? { code: 550, message: 'mailbox full' } : undefined) }).start();
    app = await HeraldTestApp.start();
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' } });
    await seedApplication(app, { id: 'app-tpl-0', name: 'Billing' }, [{ id: 'john' }, { id: 'amelie' }]);
    await app.gql(UPDATE_ME, { input: { locale: 'fr' } }, app.token(Role.USER, 'amelie'));
    await seedApplication(app, { id: 'app-cache', name: 'Billing' }, [{ id: 'bob' }, { id: 'carl' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('lists every type and the layout in every language, all Herald\'s default at first; ADMIN only', async () => {
    const { mailTemplates } = await as(TEMPLATES);
    expect(mailTemplates.map((t: { type: string; language: string }) => `${t.type}/${t.language}`).slice(0, 4)).toEqual(['LAYOUT/en', 'LAYOUT/fr', 'JOB_SUCCEEDED/en', 'JOB_SUCCEEDED/fr']);
    expect(mailTemplates).toHaveLength(2 * 8); // LAYOUT and the 7 event types, in 2 languages
    expect(mailTemplates.every((t: { customised: boolean; version: number }) => !t.customised && t.version === 0)).toBe(true);
    const failedEn = mailTemplates.find((t: { type: string; language: string }) => t.type === 'JOB_FAILED' && t.language === 'en');
    expect(failedEn).toMatchObject({ subject: '{{subject}}', updatedBy: null });
    expect(failedEn.html).toContain('{{#> layout}}');
    expect(mailTemplates[0].subject).toBeNull(); // the layout has none
    const user = await app.gql(TEMPLATES, {}, app.token(Role.USER, 'john'));
    expect(user.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const update = await app.gql(UPDATE, { input: { type: 'JOB_FAILED', language: 'en', ...ACME } }, app.token(Role.USER, 'john'));
    expect(update.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it("changes one type's wording in one language: the next mail uses it, the French one stays Herald's; the audit log says who", async () => {
    const { updateMailTemplate } = await as(UPDATE, { input: { type: 'JOB_FAILED', language: 'en', ...ACME } });
    expect(updateMailTemplate).toEqual({ type: 'JOB_FAILED', language: 'en', ...ACME, customised: true, version: 1, updatedBy: 'ann', updatedByName: 'Ann Admin' });

    const mails = await deliver(app, sink, ['john', 'amelie']);
    const john = seen(mails.john);
    expect(john.subject).toBe('[ACME] Analysis failed: Run analyzer (Billing)');
    expect(john.html).toContain('<h2>Build broken</h2>');
    expect(john.html).toContain('The analysis of <b><bdi>Billing</bdi></b> failed. Call the help desk: 555-0100.');
    expect(john.html).toContain('<code>Out of memory</code>');
    expect(john.html).toMatch(/<a href="https:\/\/console\.example\.com\/profile\/notifications"/); // the layout's link, kept
    expect(john.text).toContain('Build broken.\nThe analysis of Billing failed. Call the help desk: 555-0100.\nError: Out of memory');
    expect(john.text).toContain('https://console.example.com/profile/notifications');
    expect(mails.john.raw).toMatch(/^List-Unsubscribe: <https:\/\/console\.example\.com\/profile\/notifications>/m);

    const amelie = seen(mails.amelie);
    expect(amelie.subject).toBe('[Billing] Échec de l’analyse\u00a0: Run analyzer');
    expect(amelie.html).not.toContain('Build broken');
    expect(amelie.text).not.toContain('555-0100');

    const { mailTemplates } = await as(TEMPLATES, { type: 'JOB_FAILED' });
    expect(mailTemplates.map((t: { language: string; customised: boolean; version: number }) => [t.language, t.customised, t.version])).toEqual([
      ['en', true, 1],
      ['fr', false, 0],
    ]);

    const entry = (await as(AUDIT)).auditLog.edges[0].node;
    expect(entry).toMatchObject({ target: 'JOB_FAILED/en', actorId: 'ann', actorName: 'Ann Admin' });
    expect(entry.fields.map((f: { field: string }) => f.field)).toEqual(['version', 'subject', 'html', 'text', 'customised']);
    expect(entry.fields[0]).toEqual({ field: 'version', before: '0', after: '1' });
    expect(entry.fields[1]).toEqual({ field: 'subject', before: '{{subject}}', after: ACME.subject });
  });

  it('changes the French wording of a type while the English one stays Herald\'s', async () => {
    const fr = {
      subject: '[ACME] {{summary}} (français)',
      html: '{{#> layout}}<h2>Construction en panne</h2><p>{{t "body"}}</p>{{/layout}}',
      text: '{{#> layout}}Construction en panne.\n{{t "body"}}\n{{/layout}}',
    };
    await as(UPDATE, { input: { type: 'JOB_SUCCEEDED', language: 'fr', ...fr } });
    const mails = await deliver(app, sink, ['john', 'amelie'], { ...failed(), type: 'JOB_SUCCEEDED', error: undefined });
    const amelie = seen(mails.amelie);
    expect(amelie.subject).toBe('[ACME] Analyse réussie (français)');
    expect(amelie.html).toContain('<h2>Construction en panne</h2><p>L’analyse de <b><bdi>Billing</bdi></b> a réussi.</p>');
    expect(amelie.text).toContain('Construction en panne.\nL’analyse de Billing a réussi.');
    expect(amelie.text).toContain('https://console.example.com/profile/notifications');
    const john = seen(mails.john);
    expect(john.subject).toBe('[Billing] Analysis succeeded');
    expect(john.html).not.toContain('Construction');
    const { mailTemplates } = await as(TEMPLATES, { type: 'JOB_SUCCEEDED' });
    expect(mailTemplates.map((t: { language: string; customised: boolean }) => [t.language, t.customised])).toEqual([
      ['en', false],
      ['fr', true],
    ]);
    await as(RESET, { input: { type: 'JOB_SUCCEEDED', language: 'fr' } });
  });

  it('keeps the parts left out of an update; saving what is in effect makes no version', async () => {
    const { updateMailTemplate } = await as(UPDATE, { input: { type: 'JOB_FAILED', language: 'en', subject: '[ACME] {{summary}}' } });
    expect(updateMailTemplate).toMatchObject({ subject: '[ACME] {{summary}}', html: ACME.html, text: ACME.text, version: 2 });
    const again = await as(UPDATE, { input: { type: 'JOB_FAILED', language: 'en', subject: '[ACME] {{summary}}', html: ACME.html } });
    expect(again.updateMailTemplate.version).toBe(2);
    const mails = await deliver(app, sink, ['john', 'amelie']);
    expect(seen(mails.john)).toMatchObject({ subject: '[ACME] Analysis failed: Run analyzer' });
    expect(seen(mails.john).html).toContain('<h2>Build broken</h2>');
  });

  it("resets to Herald's default and restores an earlier version, each a version of its own, each mail as it says", async () => {
    const { resetMailTemplate } = await as(RESET, { input: { type: 'JOB_FAILED', language: 'en' } });
    expect(resetMailTemplate).toMatchObject({ customised: false, version: 3, subject: '{{subject}}' });
    const reset = seen((await deliver(app, sink, ['john', 'amelie'])).john);
    expect(reset.subject).toBe('[Billing] Analysis failed: Run analyzer');
    expect(reset.html).not.toContain('Build broken');
    expect(reset.html).toContain('The analysis of <b><bdi>Billing</bdi></b> failed at step <b><bdi>Run analyzer</bdi></b>.');
    expect(reset.text).not.toContain('555-0100');
    // A reset of the default is nothing.
    expect((await as(RESET, { input: { type: 'JOB_FAILED', language: 'en' } })).resetMailTemplate.version).toBe(3);

    const { mailTemplateVersions } = await as(VERSIONS, { type: 'JOB_FAILED', language: 'en' });
    expect(mailTemplateVersions.map((v: { version: number; change: string; customised: boolean; current: boolean; createdBy: string }) => [v.version, v.change, v.customised, v.current, v.createdBy])).toEqual([
      [3, 'RESET', false, true, 'ann'],
      [2, 'UPDATE', true, false, 'ann'],
      [1, 'UPDATE', true, false, 'ann'],
    ]);
    expect(mailTemplateVersions[2]).toMatchObject({ subject: ACME.subject, html: ACME.html, text: ACME.text });

    const { restoreMailTemplateVersion } = await as(RESTORE, { input: { id: mailTemplateVersions[2].id } });
    expect(restoreMailTemplateVersion).toMatchObject({ ...ACME, customised: true, version: 4 });
    const restored = seen((await deliver(app, sink, ['john', 'amelie'])).john);
    expect(restored.subject).toBe('[ACME] Analysis failed: Run analyzer (Billing)');
    expect(restored.html).toContain('<h2>Build broken</h2>');
    expect(restored.text).toContain('Call the help desk: 555-0100.');
    const latest = (await as(VERSIONS, { type: 'JOB_FAILED', language: 'en' })).mailTemplateVersions[0];
    expect(latest).toMatchObject({ version: 4, change: 'RESTORE', restoredFrom: 1, current: true });

    const targets = (await as(AUDIT)).auditLog.edges.map((e: { node: { target: string; fields: Array<{ field: string; before: string; after: string }> } }) => [e.node.target, e.node.fields[0].after]);
    expect(targets.filter(([target]: string[]) => target === 'JOB_FAILED/en').slice(0, 4)).toEqual([
      ['JOB_FAILED/en', '4'],
      ['JOB_FAILED/en', '3'],
      ['JOB_FAILED/en', '2'],
      ['JOB_FAILED/en', '1'],
    ]);
    expect(await refusal(RESTORE, { input: { id: '999999' } })).toEqual({ code: 'NOT_FOUND', fields: [] });
  });

  it('refuses a template that would break mails or read what it was not given, naming the problem and where; nothing changes', async () => {
    const before = (await as(VERSIONS, { type: 'JOB_FAILED', language: 'fr' })).mailTemplateVersions;
    const refuse = (input: Record<string, unknown>) => refusal(UPDATE, { input: { type: 'JOB_FAILED', language: 'fr', ...input } });

    expect(await refuse({ html: '{{#> layout}}<p>\n  Bonjour {{customer.name}}</p>{{/layout}}' })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'html', message: 'line 2, column 13: customer.name: unknown variable "customer.name" (mailTemplateVariables lists the variables of this type)' }],
    });
    expect(await refuse({ html: '<p>{{t "body"}}</p>' })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [
        {
          field: 'html',
          message:
            'line 1, column 1: the HTML part must link to the reader\'s preferences, outside any condition: <a href="{{preferencesLink}}">… (the law and RFC 8058\'s one-click unsubscribe need it), or be written inside {{#> layout}}…{{/layout}}, which has it',
        },
      ],
    });
    expect(await refuse({ text: '{{t "body"}}' })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'text', message: "line 1, column 1: the text part must give the reader's preferences link, outside any condition: {{preferencesLink}}, or be written inside {{#> layout}}…{{/layout}}, which has it" }],
    });
    expect(await refuse({ subject: '{{constructor.constructor}}' })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'subject', message: 'line 1, column 3: constructor.constructor: "constructor" is not a variable: a template reads only what it is given' }],
    });
    // What would write "[object Object]", or HTML's tags and entities into a plain-text subject.
    expect(await refuse({ subject: '[{{application}}] {{headingHtml}}' })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'subject', message: 'line 1, column 4: application: "application" is a group of values, not one: write one of them (application.id, application.name, …), or test it with #if' },
        { field: 'subject', message: 'line 1, column 21: headingHtml: "headingHtml" is HTML, written {{{headingHtml}}} in the HTML part only (its tags and entities would show here: write heading)' },
      ],
    });
    expect(await refuse({ html: `{{#> layout}}${'x'.repeat(100_000)}{{/layout}}` })).toEqual({ code: 'BAD_USER_INPUT', fields: [{ field: 'html', message: 'must be shorter than or equal to 100000 characters' }] });
    expect(await refuse({ html: '{{#> layout}}{{lookup application "name"}}{{/layout}}' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'html' }] });
    expect(await refuse({ subject: 'x\ny' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'subject', message: 'must not contain line breaks' }] });
    expect(await refuse({ language: 'de', html: ACME.html })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'language', message: 'must be a language Herald writes mails in: en, fr' }] });
    expect(await refusal(UPDATE, { input: { type: 'LAYOUT', language: 'en', subject: 'x' } })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'subject', message: 'the layout has no subject (each type has its own)' }],
    });

    expect((await as(VERSIONS, { type: 'JOB_FAILED', language: 'fr' })).mailTemplateVersions).toEqual(before);
    const mails = await deliver(app, sink, ['john', 'amelie']);
    expect(seen(mails.amelie).subject).toBe('[Billing] Échec de l’analyse\u00a0: Run analyzer');
  });

  it('renders the layout admins set around every mail, and goes back to Herald\'s', async () => {
    const layout = (await as(TEMPLATES, { type: 'LAYOUT', language: 'en' })).mailTemplates[0];
    const html = layout.html.replace('<h1 style="margin:0 0 16px;font-size:20px">', '<p class="brand">ACME notifications</p>\n    <h1 style="margin:0 0 16px;font-size:20px">');
    expect(html).not.toBe(layout.html);
    await as(UPDATE, { input: { type: 'LAYOUT', language: 'en', html, text: `ACME notifications\n${layout.text}` } });
    const mails = await deliver(app, sink, ['john', 'amelie']);
    expect(seen(mails.john).html).toContain('<p class="brand">ACME notifications</p>');
    expect(seen(mails.john).html).toContain('<h2>Build broken</h2>'); // the type's own, inside
    expect(seen(mails.john).text).toMatch(/^ACME notifications\n/);
    expect(seen(mails.amelie).html).not.toContain('ACME notifications');
    await as(RESET, { input: { type: 'LAYOUT', language: 'en' } });
    expect(seen((await deliver(app, sink, ['john', 'amelie'])).john).html).not.toContain('ACME notifications');
  });

  it('never sends a mail composed with the old template once the change is saved (the composer drops what it had composed)', async () => {
    refuseBob = true;
    const event = failed('app-cache');
    await deliver(app, sink, ['carl'], event);
    const [bob] = (await app.admin(`{ deliveries(filter: { recipientId: "bob", status: FAILED }) { edges { node { id } } } }`)).deliveries.edges;
    refuseBob = false;
    await as(UPDATE, { input: { type: 'JOB_FAILED', language: 'en', subject: '[ACME v5] {{summary}}' } });
    await app.admin('mutation($input: RetryDeliveryInput!) { retryDelivery(input: $input) { id } }', { input: { id: bob.node.id } });
    const mail = await eventually(async () => {
      const found = sink.received.find((m) => m.to[0] === 'bob@example.com' && m.parsed.headers.get('x-herald-event-id') === event.id);
      expect(found).toBeDefined();
      return found!;
    });
    expect(mail.parsed.subject).toBe('[ACME v5] Analysis failed: Run analyzer');
  });

  it("writes a mail whose admin's template fails with Herald's default, and says so in the delivery log and the metrics", async () => {
    // Validation keeps such a template out; one may still come (a message gone in a newer Herald, a row written by hand).
    const dataSource = app.app.get(DataSource);
    const table = DATABASE_KIND === 'postgres' ? `"${app.storage.schema}"."mail_template_versions"` : '"mail_template_versions"';
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const values = DATABASE_KIND === 'postgres' ? '$1, $2, $3, $4, $5, $6, $7' : '?, ?, ?, ?, ?, ?, ?';
    await dataSource.query(
      `INSERT INTO ${table} (type, language, version, change, html, created_at, created_by) VALUES (${values})`,
      ['JOB_SUCCEEDED', 'en', 1, 'UPDATE', '{{#> layout}}{{t "gone"}}{{/layout}}', now, 'by-hand'],
    );
    await eventually(async () => expect((await as(TEMPLATES, { type: 'JOB_SUCCEEDED', language: 'en' })).mailTemplates[0].customised).toBe(true));
    await app.app.get(DatabaseTemplateSource).refresh(); // as its timer would, a few seconds later
    const event = { ...failed(), type: 'JOB_SUCCEEDED', error: undefined };
    const mails = await deliver(app, sink, ['john', 'amelie'], event);
    expect(seen(mails.john).subject).toBe('[Billing] Analysis succeeded');
    expect(seen(mails.john).text).toContain('The analysis of Billing finished successfully in');
    const log = await app.admin(`{ deliveries(filter: { recipientId: "john", eventType: JOB_SUCCEEDED }) { edges { node { status lastError } } } }`);
    expect(log.deliveries.edges[0].node.status).toBe('SENT');
    expect(log.deliveries.edges[0].node.lastError).toBe(
      'written with Herald\'s default templates: the JOB_SUCCEEDED template (en) failed for this event: No message "gone" in en',
    );
    const amelie = await app.admin(`{ deliveries(filter: { recipientId: "amelie", eventType: JOB_SUCCEEDED }) { edges { node { status lastError } } } }`);
    expect(amelie.deliveries.edges[0].node).toEqual({ status: 'SENT', lastError: null });
    const metrics = await scrape(app.url);
    expect(metrics('herald_mail_template_fallbacks_total', { template: 'JOB_SUCCEEDED', language: 'en' })).toBe(1);
  });
});

describe(`mail templates across processes (${DATABASE_KIND})`, () => {
  let saving: HeraldTestApp;
  let sending: HeraldTestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    // The one that saves never sends here: its dispatcher is handed nothing and sweeps once an hour.
    saving = await HeraldTestApp.start({ SETTINGS_REFRESH_INTERVAL_MS: '200', DISPATCH_SWEEP_INTERVAL_MS: '3600000' });
    await saving.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' } });
    sending = await HeraldTestApp.start({ SETTINGS_REFRESH_INTERVAL_MS: '200' }, saving.storage);
  });
  afterAll(async () => {
    await sending?.close({ keepData: true });
    await saving?.close();
    await sink?.stop();
  });

  it("uses in the other process, from its next mail on, the template one process saved (and Herald's again after a reset there)", async () => {
    const before = seen((await deliver(sending, sink, ['john']))['john']);
    expect(before.subject).toBe('[Billing] Analysis failed: Run analyzer');

    const res = await saving.gql(UPDATE, { input: { type: 'JOB_FAILED', language: 'en', ...ACME } }, saving.token(Role.ADMIN, 'ann'));
    expect(res.errors).toBeUndefined();
    // The other process reads it within SETTINGS_REFRESH_INTERVAL_MS: its templates, as it lists them, then its next mail.
    await eventually(async () => expect(sending.app.get(DatabaseTemplateSource).override('JOB_FAILED', 'en')?.subject).toBe(ACME.subject));
    const after = seen((await deliver(sending, sink, ['john']))['john']);
    expect(after.subject).toBe('[ACME] Analysis failed: Run analyzer (Billing)');
    expect(after.html).toContain('<h2>Build broken</h2>');
    expect(after.text).toContain('Call the help desk: 555-0100.');

    await saving.gql(RESET, { input: { type: 'JOB_FAILED', language: 'en' } }, saving.token(Role.ADMIN, 'ann'));
    await eventually(async () => expect(sending.app.get(DatabaseTemplateSource).override('JOB_FAILED', 'en')).toBeUndefined());
    expect(seen((await deliver(sending, sink, ['john']))['john']).subject).toBe('[Billing] Analysis failed: Run analyzer');

    // Every mail went out through the process that did not save.
    const sent = async (app: HeraldTestApp) => (await scrape(app.url))('herald_send_attempts_total', { outcome: 'sent' });
    expect([await sent(saving), await sent(sending)]).toEqual([0, 3]);
  });
});

const VARIABLES = 'query($type: MailTemplateType!) { mailTemplateVariables(type: $type) { name description example html } }';
const PREVIEW_FIELDS = 'subject html frameHtml text headers { name value } eventId example';
const PREVIEW = `query($input: PreviewMailTemplateInput!) { previewMailTemplate(input: $input) { ${PREVIEW_FIELDS} } }`;
const SEND_PREVIEW = `mutation($input: PreviewMailTemplateInput!) { sendMailTemplatePreview(input: $input) { to messageId reply preview { ${PREVIEW_FIELDS} } } }`;

describe(`variables and previews of mail templates (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const admin = () => app.token(Role.ADMIN, 'ann', { name: 'Ann Admin' });
  const as = async <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await app.gql<T>(query, variables, admin());
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!;
  };
  const refusal = async (query: string, variables: Record<string, unknown>) => {
    const res = await app.gql(query, variables, admin());
    return { code: res.errors?.[0].extensions.code, fields: res.errors?.[0].extensions.fields ?? [] };
  };
  const header = (preview: { headers: Array<{ name: string; value: string }> }, name: string) => preview.headers.find((h) => h.name === name)?.value;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ HERALD_PUBLIC_URL: 'https://herald.example.com', PREFERENCES_PAGE: 'herald' });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' } });
    await seedApplication(app, { id: 'app-preview', name: 'Payroll' }, [{ id: 'john' }, { id: 'ann' }]);
    seeded.add('app-preview');
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('lists the variables of each type, with what they hold and their value for the example event', async () => {
    const failedVars = (await as(VARIABLES, { type: 'JOB_FAILED' })).mailTemplateVariables;
    const byName = Object.fromEntries(failedVars.map((v: { name: string }) => [v.name, v]));
    expect(byName['error.step']).toEqual({ name: 'error.step', description: 'The step of the job that failed (absent when the event does not say)', example: 'Run analyzer', html: false });
    expect(byName['application.name']).toMatchObject({ example: 'Billing' });
    expect(byName['job.duration']).toMatchObject({ example: '42 min, 30 sec' });
    expect(byName['stillFailing']).toMatchObject({ example: '3' }); // from the example with a history
    expect(byName['headingHtml']).toMatchObject({ html: true });
    expect(byName['preferencesLink'].description).toMatch(/unconditionally, in both parts/);
    expect(byName['stoppedBy']).toBeUndefined();
    expect((await as(VARIABLES, { type: 'JOB_STOPPED' })).mailTemplateVariables.find((v: { name: string }) => v.name === 'stoppedBy')).toMatchObject({ example: expect.any(String) });
    const layout = (await as(VARIABLES, { type: 'LAYOUT' })).mailTemplateVariables.map((v: { name: string }) => v.name);
    expect(layout).toContain('job.kind');
    expect(layout).not.toContain('error.message');
    expect(layout.filter((n: string) => n.startsWith('branding.'))).toEqual(['branding.productName', 'branding.logoUrl', 'branding.accentColor', 'branding.footer', 'branding.helpLink']);
  });

  it("previews the saved template on the type's example event: the mail as it would go, addressed to the caller", async () => {
    const { previewMailTemplate: preview } = await as(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC' } });
    expect(preview).toMatchObject({ subject: '[Billing] Analysis failed: Run analyzer', example: true, eventId: '2f7c1f0e-4c44-4bb0-9d1e-7f3a0d6c9a11' });
    expect(preview.text).toContain('Error: Out of memory');
    expect(preview.html.replace(/[\u00a0\u202f]/g, ' ')).toContain('<td>Nov 24, 2026, 9:42 AM UTC</td>');
    expect(header(preview, 'From')).toBe('Herald <herald@example.com>');
    expect(header(preview, 'To')).toBe('ann@example.com');
    expect(header(preview, 'Subject')).toBe(preview.subject);
    expect(header(preview, 'Auto-Submitted')).toBe('auto-generated');
    expect(header(preview, 'List-Unsubscribe')).toMatch(/^<https:\/\/herald\.example\.com\/unsubscribe\?t=[\w-]+>$/);
    expect(header(preview, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    // The body's preferences link carries the same token as the header (no placeholder left).
    const token = /t=([\w-]+)>/.exec(header(preview, 'List-Unsubscribe')!)![1];
    expect(preview.html).toContain(`href="https://herald.example.com/preferences?t&#x3D;${token}"`);
    expect(preview.text).toContain(`https://herald.example.com/preferences?t=${token}`);
    const fr = (await as(PREVIEW, { input: { type: 'JOB_FAILED', language: 'fr', timeZone: 'Europe/Paris' } })).previewMailTemplate;
    expect(fr.subject).toBe('[Billing] Échec de l’analyse\u00a0: Run analyzer');
    expect(fr.text.replace(/[\u00a0\u202f]/g, ' ')).toMatch(/24 nov\. 2026, 10:42 CET/);
  });

  it('previews a draft on a real past event without changing what is sent; refuses a draft as an update would', async () => {
    const event = failed('app-preview');
    const before = await deliver(app, sink, ['john', 'ann'], event);
    const draft = { subject: '[DRAFT] {{summary}}', html: '{{#> layout}}<h2>Draft heading</h2><p>{{error.message}} in {{application.name}}</p>{{/layout}}' };
    const { previewMailTemplate: preview } = await as(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC', eventId: event.id, draft } });
    expect(preview).toMatchObject({ subject: '[DRAFT] Analysis failed: Run analyzer', eventId: event.id, example: false });
    expect(preview.html).toContain('<h2>Draft heading</h2><p>Out of memory in Billing</p>');
    expect(preview.text).toContain('The analysis of Billing failed at step "Run analyzer".'); // the saved text part
    expect(header(preview, 'X-Herald-Event-Id')).toBe(event.id);

    const after = await deliver(app, sink, ['john', 'ann'], { ...failed('app-preview'), id: `${event.id}-again` });
    expect(seen(after.john).subject).toBe(seen(before.john).subject!.replace('Analysis failed', 'Analysis still failing (2nd failure in a row)'));
    expect(seen(after.john).html).not.toContain('Draft heading');
    expect((await as(TEMPLATES, { type: 'JOB_FAILED', language: 'en' })).mailTemplates[0]).toMatchObject({ customised: false, version: 0 });

    expect(await refusal(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC', draft: { html: '{{#> layout}}\n{{customer}}{{/layout}}' } } })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'draft.html', message: 'line 2, column 3: customer: unknown variable "customer" (mailTemplateVariables lists the variables of this type)' }],
    });
    // A draft that passes the check (on the example event) but cannot write this past event's mail: said so, on the part.
    const noStep = { ...failed('app-preview'), id: `${event.id}-no-step`, error: { message: 'Out of memory' } };
    await deliver(app, sink, ['john', 'ann'], noStep);
    expect(await refusal(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC', eventId: noStep.id, draft: { subject: '{{error.step}}' } } })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'draft.subject', message: `fails to render event ${noStep.id}: the subject is empty` }],
    });
    expect(await refusal(PREVIEW, { input: { type: 'JOB_SUCCEEDED', language: 'en', timeZone: 'UTC', eventId: event.id } })).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'eventId', message: 'is a JOB_FAILED event: a JOB_SUCCEEDED template is previewed on a JOB_SUCCEEDED event' }],
    });
    expect((await refusal(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC', eventId: 'no-such-event' } })).code).toBe('NOT_FOUND');
    expect((await refusal(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'Mars/Olympus' } })).fields).toEqual([{ field: 'timeZone', message: 'must be an IANA time zone such as Europe/Paris or America/New_York' }]);
    expect((await app.gql(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC' } }, app.token(Role.USER, 'john'))).errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it("sends the preview to the caller's own address: the mail received is the preview", async () => {
    const draft = { html: '{{#> layout}}<h2>Sent to myself</h2>{{/layout}}' };
    const { sendMailTemplatePreview: sent } = await as(SEND_PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC', draft } });
    expect(sent).toMatchObject({ to: 'ann@example.com', reply: expect.stringMatching(/^250/) });
    const mail = await eventually(async () => {
      const found = sink.received.find((m) => [m.parsed.messageId, `<${m.parsed.messageId}>`].includes(sent.messageId));
      expect(found).toBeDefined();
      return found!;
    });
    expect(mail.to).toEqual(['ann@example.com']);
    expect(mail.parsed.subject).toBe(sent.preview.subject);
    expect(mail.parsed.html).toBe(sent.preview.html);
    expect(mail.parsed.text?.trim()).toBe(sent.preview.text.trim());
    expect(mail.parsed.html).toContain('<h2>Sent to myself</h2>');
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    expect((await as(TEMPLATES, { type: 'JOB_FAILED', language: 'en' })).mailTemplates[0].customised).toBe(false);
  });
});
