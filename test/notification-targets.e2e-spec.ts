import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { NotificationTargetEntity } from '../src/webhooks/notification-target.entity';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { seedApplication } from './support/people';
import { WEBHOOK_TEST_ENV, WebhookReceiver } from './support/webhook-receiver';

const FIELDS = 'id applicationId kind name host urlSet secretSet types frequency digestHour language timeZone enabled disabledReason createdBy';
const ADD = `mutation($input: AddNotificationTargetInput!) { addNotificationTarget(input: $input) { ${FIELDS} } }`;
const LIST = `query($app: ID!) { notificationTargets(applicationId: $app) { ${FIELDS} } }`;
const REMOVE = 'mutation($input: NotificationTargetIdInput!) { removeNotificationTarget(input: $input) { id } }';
const UPDATE = `mutation($input: UpdateNotificationTargetInput!) { updateNotificationTarget(input: $input) { ${FIELDS} } }`;
const TEST = 'mutation($input: NotificationTargetIdInput!) { testNotificationTarget(input: $input) { ok failedStep steps { step status message httpStatus response } } }';

/** The secret part of a webhook URL, as Teams and Slack put it in the path: it must never come back. */
const TOKEN = 'sig=Zm9vYmFyLXNlY3JldC10b2tlbi0xMjM0NTY3ODkw';

/**
 * Notification targets through GraphQL: who may add, list, test and remove an
 * application's Teams, Slack and signed webhook targets; the URL checked (https, an
 * allowed host, no internal address: SSRF), stored encrypted, never answered or logged.
 */
describe(`notification targets (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let receiver: WebhookReceiver;
  const input = (extra: Record<string, unknown> = {}) => ({ applicationId: 'billing', kind: 'TEAMS', name: '#billing-alerts', url: receiver.url(`/workflows/abc/triggers/manual/paths/invoke?api-version=1&${TOKEN}`), types: ['JOB_FAILED', 'JOB_RECOVERED'], ...extra });

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // Hosts: the receivers' address, and the internal ones the SSRF cases try (allowed as names, refused as addresses).
    app = await HeraldTestApp.start({ ...WEBHOOK_TEST_ENV, WEBHOOK_ALLOWED_HOSTS: '127.0.0.2,127.0.0.1,169.254.169.254,localhost', LOG_LEVEL: 'debug' });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }, { id: 'vic', role: 'VIEW' }]);
    await seedApplication(app, { id: 'shop', name: 'Shop' }, [{ id: 'sam' }]);
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  it('lets an admin and a MANAGE member add and list targets; shows the host, never the URL; stores it encrypted', async () => {
    const { result, log } = await capturingOutput(async () => {
      const added = await app.gql(ADD, { input: input() }, app.token(Role.USER, 'ann'));
      const byAdmin = await app.admin(ADD, { input: input({ kind: 'WEBHOOK', name: 'ops', secret: 'a-signing-secret-of-some-length', frequency: 'DIGEST_DAILY', digestHour: 7, language: 'fr', timeZone: 'Europe/Paris' }) });
      const listed = await app.gql(LIST, { app: 'billing' }, app.token(Role.USER, 'ann'));
      return { added, byAdmin, listed };
    });
    expect(result.added.errors).toBeUndefined();
    expect(result.added.data.addNotificationTarget).toMatchObject({ applicationId: 'billing', kind: 'TEAMS', name: '#billing-alerts', host: '127.0.0.2', urlSet: true, secretSet: false, types: ['JOB_FAILED', 'JOB_RECOVERED'], frequency: 'IMMEDIATELY', enabled: true, createdBy: 'ann' });
    expect(result.byAdmin.addNotificationTarget).toMatchObject({ kind: 'WEBHOOK', secretSet: true, frequency: 'DIGEST_DAILY', digestHour: 7, language: 'fr', timeZone: 'Europe/Paris' });
    expect(result.listed.data.notificationTargets.map((t: { name: string }) => t.name)).toEqual(['#billing-alerts', 'ops']);
    // Neither the URL's secret part nor the signing key anywhere: answers, logs, the table.
    const rows = (await app.app.get(DataSource).getRepository(NotificationTargetEntity).find()).map((r) => ({ url: r.encryptedUrl, secret: r.encryptedSecret }));
    for (const text of [JSON.stringify(result), log, JSON.stringify(rows)]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('workflows/abc');
      expect(text).not.toContain('a-signing-secret-of-some-length');
    }
    expect(log).toContain('added TEAMS target'); // the log was captured (debug level)
    expect(rows.every((r) => r.url.startsWith('ENC(') && (r.secret === null || r.secret.startsWith('ENC(')))).toBe(true);
  });

  it('refuses anyone else: a VIEW member, a manager of another application, a service', async () => {
    for (const token of [app.token(Role.USER, 'vic'), app.token(Role.USER, 'sam'), app.token(Role.SERVICE, 'console')]) {
      for (const [query, variables] of [[ADD, { input: input() }], [LIST, { app: 'billing' }]] as const) {
        const res = await app.gql(query, variables, token);
        expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
    }
    const { errors } = await app.gql(ADD, { input: input({ applicationId: 'nope' }) }, app.token(Role.ADMIN, 'admin'));
    expect(errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses a URL that is not https, on a host not allowed, or to an internal address (SSRF), naming the field and never quoting it', async () => {
    const refused = async (url: string, extra: Record<string, unknown> = {}) => {
      const res = await app.gql(ADD, { input: input({ url, ...extra }) }, app.token(Role.ADMIN, 'admin'));
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(res)).not.toContain('s3cr3t');
      return (res.errors![0].extensions!.fields as Array<{ field: string; message: string }>).map((f) => `${f.field}: ${f.message}`);
    };
    const before = (await app.admin(LIST, { app: 'billing' })).notificationTargets.length;
    expect(await refused(`http://127.0.0.2:${receiver.port}/hook?s3cr3t`)).toEqual(['url: must be an https:// URL']);
    expect(await refused('https://evil.example.com/hook?s3cr3t')).toEqual(['url: is on evil.example.com, which is not among the hosts an admin allows for webhooks (WEBHOOK_ALLOWED_HOSTS)']);
    expect(await refused('https://127.0.0.1:8443/hook?s3cr3t')).toEqual(['url: 127.0.0.1 is a loopback, link-local or private address: refused']);
    expect(await refused('https://169.254.169.254/latest/meta-data/?s3cr3t')).toEqual(['url: 169.254.169.254 is a loopback, link-local or private address: refused']);
    expect((await refused(`https://localhost:${receiver.port}/hook?s3cr3t`))[0]).toMatch(/^url: localhost resolves to (127\.0\.0\.1|::1), a loopback, link-local or private address: refused$/);
    expect(await refused('https://user:s3cr3t@127.0.0.2/hook')).toEqual(['url: must not carry a user name or password']);
    expect(await refused(receiver.url('/hook'), { kind: 'WEBHOOK' })).toEqual(['secret: is required for a WEBHOOK target: the key its X-Herald-Signature is made with (16 characters or more)']);
    expect((await app.admin(LIST, { app: 'billing' })).notificationTargets.length).toBe(before);
  });

  it('refuses a name, URL or key with a NUL, CR/LF or another control character, a URL with white space (two URLs), a blank name: naming the field, storing and changing nothing', async () => {
    const fieldsOf = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => {
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      return [...new Set((res.errors![0].extensions!.fields as Array<{ field: string }>).map((f) => f.field))];
    };
    const before = (await app.admin(LIST, { app: 'billing' })).notificationTargets;
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: 'ops\u0000x' }, 'name'],
      [{ name: 'ops\r\nx' }, 'name'],
      [{ name: 'ops\u001b[2Jx' }, 'name'],
      [{ name: 'x\u202egnp.exe' }, 'name'],
      [{ name: '   ' }, 'name'],
      // The URL parser would drop CR, LF and tab silently, and %-encode a NUL or a space: another URL than the one given.
      [{ url: receiver.url(`/hook?${TOKEN}\r\nx`) }, 'url'],
      [{ url: receiver.url(`/ho\tok?${TOKEN}`) }, 'url'],
      [{ url: receiver.url(`/hook\u0000x?${TOKEN}`) }, 'url'],
      [{ url: `${receiver.url('/a')} ${receiver.url(`/b?${TOKEN}`)}` }, 'url'],
      [{ kind: 'WEBHOOK', secret: 'a-signing-secret\u0000x' }, 'secret'],
      [{ kind: 'WEBHOOK', secret: 'a-signing-secret\r\nx' }, 'secret'],
    ];
    for (const [extra, field] of bad) {
      const res = await app.gql(ADD, { input: input(extra) }, app.token(Role.ADMIN, 'admin'));
      expect({ extra, fields: fieldsOf(res) }).toEqual({ extra, fields: [field] });
      expect(JSON.stringify(res)).not.toContain(TOKEN);
    }
    expect((await app.admin(LIST, { app: 'billing' })).notificationTargets).toEqual(before);
    const { id } = before[0];
    for (const [extra, field] of bad.filter(([extra]) => !extra.kind)) {
      const res = await app.gql(UPDATE, { input: { id, ...extra } }, app.token(Role.ADMIN, 'admin'));
      expect({ extra, fields: fieldsOf(res) }).toEqual({ extra, fields: [field] });
    }
    expect((await app.admin(LIST, { app: 'billing' })).notificationTargets).toEqual(before);
    // The list's application id is an id like any other.
    expect(fieldsOf(await app.gql(LIST, { app: 'billing\u0000x' }, app.token(Role.ADMIN, 'admin')))).toEqual(['applicationId']);
  });

  it('posts a test message and reports each step; a deleted webhook fails at SEND', async () => {
    const { id } = (await app.admin(ADD, { input: input({ kind: 'SLACK', name: '#shop', url: receiver.url(`/services/T0/B0/${TOKEN}`) }) })).addNotificationTarget;
    const ok = (await app.gql(TEST, { input: { id } }, app.token(Role.USER, 'ann'))).data.testNotificationTarget;
    expect(ok).toMatchObject({ ok: true, failedStep: null });
    expect(ok.steps.map((s: { step: string; status: string }) => `${s.step} ${s.status}`)).toEqual(['RESOLVE OK', 'CONNECT OK', 'TLS OK', 'SEND OK']);
    const posted = receiver.to(`/services/T0/B0/${TOKEN}`).at(-1)!;
    expect(posted.json.text).toBe('Test message from Herald');
    receiver.answer = () => ({ status: 410, body: 'channel_is_archived' });
    try {
      const gone = (await app.admin(TEST, { input: { id } })).testNotificationTarget;
      expect(gone).toMatchObject({ ok: false, failedStep: 'SEND' });
      expect(gone.steps.at(-1)).toMatchObject({ step: 'SEND', status: 'FAILED', httpStatus: 410, response: 'channel_is_archived', message: '127.0.0.2 answered 410: the webhook was deleted (the next notification posted to it disables the target)' });
    } finally {
      receiver.answer = () => ({ status: 200, body: 'ok' });
    }
    expect(JSON.stringify(ok)).not.toContain(TOKEN);
  });

  it('removes a target', async () => {
    const { id } = (await app.admin(ADD, { input: input({ name: 'to remove' }) })).addNotificationTarget;
    expect((await app.gql(REMOVE, { input: { id } }, app.token(Role.USER, 'vic'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    await app.gql(REMOVE, { input: { id } }, app.token(Role.USER, 'ann'));
    expect((await app.admin(LIST, { app: 'billing' })).notificationTargets.map((t: { id: string }) => t.id)).not.toContain(id);
    expect((await app.gql(REMOVE, { input: { id } }, app.token(Role.ADMIN, 'admin'))).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // Both changes audited, by whom, the URL only named.
    const audit = await app.admin('{ auditLog(filter: { kind: NOTIFICATION_TARGET }) { edges { node { target actorId fields { field secret before after } } } } }');
    const mine = audit.auditLog.edges.map((e: { node: Record<string, any> }) => e.node).filter((n: { target: string }) => n.target === `billing/${id}`);
    expect(mine.map((n: { actorId: string; fields: Array<{ field: string; before: string | null; after: string | null }> }) => [n.actorId, n.fields.find((f) => f.field === 'name')])).toEqual([
      ['ann', { field: 'name', secret: false, before: 'to remove', after: null }],
      ['admin', { field: 'name', secret: false, before: null, after: 'to remove' }],
    ]);
    expect(mine[0].fields.find((f: { field: string }) => f.field === 'url')).toEqual({ field: 'url', secret: true, before: null, after: null });
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it('updates a target: its types, frequency, language and zone; re-enables it after a deleted webhook with a new URL checked as on add; audited', async () => {
    const { id } = (await app.admin(ADD, { input: input({ name: 'to update' }) })).addNotificationTarget;
    expect((await app.gql(UPDATE, { input: { id, name: 'x' } }, app.token(Role.USER, 'vic'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await app.gql(UPDATE, { input: { id, name: 'x' } }, app.token(Role.USER, 'sam'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const changed = await app.gql(UPDATE, { input: { id, types: ['JOB_FAILED'], frequency: 'DIGEST_DAILY', digestHour: 6, language: 'fr', timeZone: 'Europe/Paris' } }, app.token(Role.USER, 'ann'));
    expect(changed.errors).toBeUndefined();
    expect(changed.data.updateNotificationTarget).toMatchObject({ id, name: 'to update', types: ['JOB_FAILED'], frequency: 'DIGEST_DAILY', digestHour: 6, language: 'fr', timeZone: 'Europe/Paris', enabled: true });
    // Its webhook was deleted: disabled (as a 404 or 410 does).
    await app.app.get(DataSource).getRepository(NotificationTargetEntity).update(Number(id), { enabled: false, disabledReason: 'the webhook answered 410: it was deleted' });
    // A new URL is checked as on add: refused, naming the field, never quoting it; nothing changed.
    const bad = await app.gql(UPDATE, { input: { id, url: 'https://127.0.0.1:8443/hook?s3cr3t', enabled: true, secret: 'a-signing-secret-of-some-length' } }, app.token(Role.USER, 'ann'));
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors![0].extensions!.fields as Array<{ field: string; message: string }>).map((f) => `${f.field}: ${f.message}`)).toEqual([
      'secret: is for WEBHOOK targets only (TEAMS webhooks are not signed)',
      'url: 127.0.0.1 is a loopback, link-local or private address: refused',
    ]);
    expect(JSON.stringify(bad)).not.toContain('s3cr3t');
    const still = (await app.admin(LIST, { app: 'billing' })).notificationTargets.find((t: { id: string }) => t.id === id);
    expect(still).toMatchObject({ enabled: false, disabledReason: 'the webhook answered 410: it was deleted' });
    expect((await app.gql(UPDATE, { input: { id, enabled: false } }, app.token(Role.USER, 'ann'))).errors?.[0].extensions?.fields).toEqual([expect.objectContaining({ field: 'enabled' })]);
    // The new URL, and enabled again: posted to.
    const newUrl = receiver.url(`/workflows/new/triggers/manual/paths/invoke?${TOKEN}`);
    const fixed = await app.gql(UPDATE, { input: { id, url: newUrl, enabled: true } }, app.token(Role.USER, 'ann'));
    expect(fixed.data.updateNotificationTarget).toMatchObject({ id, host: '127.0.0.2', urlSet: true, enabled: true, disabledReason: null });
    const tested = (await app.admin(TEST, { input: { id } })).testNotificationTarget;
    expect(tested).toMatchObject({ ok: true });
    expect(receiver.received.at(-1)!.path).toBe(`/workflows/new/triggers/manual/paths/invoke?${TOKEN}`);
    // Audited: each field before and after, the URL only named.
    const audit = await app.admin('{ auditLog(filter: { kind: NOTIFICATION_TARGET }) { edges { node { target actorId fields { field secret before after } } } } }');
    const mine = audit.auditLog.edges.map((e: { node: Record<string, any> }) => e.node).filter((n: { target: string }) => n.target === `billing/${id}`);
    expect(mine).toHaveLength(3); // added, changed, fixed
    expect(mine[0]).toMatchObject({ actorId: 'ann', fields: expect.arrayContaining([{ field: 'enabled', secret: false, before: 'false', after: 'true' }, { field: 'url', secret: true, before: null, after: null }]) });
    expect(mine[1].fields).toEqual(
      expect.arrayContaining([
        { field: 'types', secret: false, before: 'JOB_FAILED, JOB_RECOVERED', after: 'JOB_FAILED' },
        { field: 'frequency', secret: false, before: 'IMMEDIATELY', after: 'DIGEST_DAILY' },
        { field: 'digestHour', secret: false, before: null, after: '6' },
        { field: 'language', secret: false, before: null, after: 'fr' },
      ]),
    );
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });
});
