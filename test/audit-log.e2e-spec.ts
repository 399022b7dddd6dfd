import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

const ENTRY = 'id at kind target actorId actorName fields { field secret before after }';
const AUDIT_LOG = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ENTRY} } } }
}`;
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { host port username passwordSet updatedBy } }';
const UPDATE_DEFAULTS = 'mutation($input: UpdateMailDefaultsInput!) { updateMailDefaults(input: $input) { language timeZone } }';
const CREATE_APP = 'mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }';
const GRANT = 'mutation($input: MembershipInput!) { grantMembership(input: $input) { role } }';
const REVOKE = 'mutation($input: MembershipInput!) { revokeMembership(input: $input) { role } }';

interface Entry {
  id: string;
  at: string;
  kind: string;
  target: string;
  actorId: string;
  actorName: string | null;
  fields: Array<{ field: string; secret: boolean; before: string | null; after: string | null }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`the audit log (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let ann: string;

  /** The log as Ann (an ADMIN with a name in her token) reads it: the whole response, and its entries. */
  async function auditLog(variables: Record<string, unknown> = {}) {
    const res = await app.gql(AUDIT_LOG, variables, ann);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const log = res.data.auditLog as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ cursor: string; node: Entry }> };
    return { json: JSON.stringify(res), ...log, entries: log.edges.map((e) => e.node) };
  }
  async function asAnn<T = any>(query: string, variables: Record<string, unknown>): Promise<T> {
    const res = await app.gql<T>(query, variables, ann);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!;
  }
  const latest = async (kind: string) => (await auditLog({ filter: { kind }, first: 1 })).entries[0];
  const table = (name: string) => (DATABASE_KIND === 'postgres' ? `"${app.storage.schema}"."${name}"` : `"${name}"`);

  beforeAll(async () => {
    app = await HeraldTestApp.start();
    ann = app.token(Role.ADMIN, 'ann', { name: 'Ann Admin' });
    await asAnn('{ mailDefaults { language } }', {}); // Ann is known from here on
  });
  afterAll(() => app?.close());

  it('records a change of the SMTP settings: who, when (by the clock), which fields, before and after', async () => {
    const before = Date.now();
    await asAnn(UPDATE_SMTP, { input: { host: 'smtp.example.com', port: 2525, sender: 'Herald <herald@example.com>', username: 'relay-user' } });
    const after = Date.now();

    const entry = await latest('SMTP_SETTINGS');
    expect(entry).toMatchObject({ kind: 'SMTP_SETTINGS', target: 'smtpSettings', actorId: 'ann', actorName: 'Ann Admin' });
    expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(entry.at)).toBeLessThanOrEqual(after + 1);
    expect(entry.fields).toEqual([
      { field: 'host', secret: false, before: null, after: 'smtp.example.com' },
      { field: 'port', secret: false, before: '587', after: '2525' },
      { field: 'sender', secret: false, before: null, after: 'Herald <herald@example.com>' },
      { field: 'username', secret: false, before: null, after: 'relay-user' },
    ]);
    // The settings say the same "when" as the entry: both come from the one clock of this change.
    const { smtpSettings } = await asAnn('{ smtpSettings { updatedAt updatedBy } }', {});
    expect(smtpSettings).toEqual({ updatedAt: entry.at, updatedBy: 'ann' });
  });

  it('names a secret that changed, and nothing more: no value, no ciphertext, no hash, anywhere', async () => {
    const password = 'Tr0ub4dor&3-audit-secret';
    const res = await app.gql(UPDATE_SMTP, { input: { password } }, ann);
    expect(res.errors).toBeUndefined();

    const log = await auditLog({ filter: { kind: 'SMTP_SETTINGS' }, first: 1 });
    expect(log.entries[0].fields).toEqual([{ field: 'password', secret: true, before: null, after: null }]);
    for (const text of [JSON.stringify(res), log.json]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain('ENC(');
    }
    // Nor in the table: the stored fields hold the name of the secret only.
    const rows: Array<{ fields: string }> = await app.app.get(DataSource).query(`SELECT fields FROM ${table('audit_log')}`);
    const stored = rows.map((r) => r.fields).join('\n');
    expect(stored).not.toContain(password);
    expect(stored).not.toContain('ENC(');
    expect(JSON.parse(rows.at(-1)!.fields)).toEqual([{ field: 'password', secret: true }]);

    // The same password again changes nothing: no entry.
    const count = (await auditLog()).totalCount;
    await asAnn(UPDATE_SMTP, { input: { password } });
    expect((await auditLog()).totalCount).toBe(count);
    // Cleared: named again, still without a value.
    await asAnn(UPDATE_SMTP, { input: { password: null } });
    expect((await latest('SMTP_SETTINGS')).fields).toEqual([{ field: 'password', secret: true, before: null, after: null }]);
  });

  it('records a change of the mail defaults', async () => {
    await asAnn(UPDATE_DEFAULTS, { input: { language: 'fr', timeZone: 'Europe/Paris' } });
    expect(await latest('MAIL_DEFAULTS')).toMatchObject({
      kind: 'MAIL_DEFAULTS',
      target: 'mailDefaults',
      actorId: 'ann',
      actorName: 'Ann Admin',
      fields: [
        { field: 'language', secret: false, before: null, after: 'fr' },
        { field: 'timeZone', secret: false, before: null, after: 'Europe/Paris' },
      ],
    });
    await asAnn(UPDATE_DEFAULTS, { input: { language: 'fr', timeZone: null } });
    expect((await latest('MAIL_DEFAULTS')).fields).toEqual([{ field: 'timeZone', secret: false, before: 'Europe/Paris', after: null }]);
  });

  it("records a person's roles on an application changing (grantMembership, revokeMembership), by whoever made the call", async () => {
    const consoleService = app.token(Role.SERVICE, 'console', { name: 'The console' });
    await app.gql(CREATE_APP, { input: { id: 'audit-app', name: 'Audited' } }, consoleService);
    const grant = async (role: string, token = consoleService) => expect((await app.gql(GRANT, { input: { userId: 'bob', applicationId: 'audit-app', role } }, token)).errors).toBeUndefined();

    await grant('VIEW');
    expect(await latest('USER_ROLE')).toMatchObject({
      target: 'bob',
      actorId: 'console',
      actorName: 'The console',
      fields: [{ field: 'memberships[audit-app]', secret: false, before: null, after: 'VIEW' }],
    });
    await grant('MANAGE', ann);
    expect(await latest('USER_ROLE')).toMatchObject({ target: 'bob', actorId: 'ann', fields: [{ field: 'memberships[audit-app]', before: 'VIEW', after: 'MANAGE, VIEW' }] });

    // Granting what bob has already changes nothing, and says nothing.
    const count = (await auditLog({ filter: { kind: 'USER_ROLE' } })).totalCount;
    await grant('MANAGE');
    expect((await auditLog({ filter: { kind: 'USER_ROLE' } })).totalCount).toBe(count);

    expect((await app.gql(REVOKE, { input: { userId: 'bob', applicationId: 'audit-app', role: 'VIEW' } }, consoleService)).errors).toBeUndefined();
    expect(await latest('USER_ROLE')).toMatchObject({ target: 'bob', actorId: 'console', fields: [{ field: 'memberships[audit-app]', before: 'MANAGE, VIEW', after: 'MANAGE' }] });
  });

  it('records a person whose token brings the ADMIN role, or no longer does (roles live in tokens)', async () => {
    const carol = (role: Role) => app.token(role, 'carol', { name: 'Carol C.' });
    await asAnnOrThrow(app.gql('{ me { id } }', {}, carol(Role.USER)));
    const count = (await auditLog({ filter: { kind: 'USER_ROLE' } })).totalCount;
    await asAnnOrThrow(app.gql('{ me { id } }', {}, carol(Role.ADMIN)));
    expect(await latest('USER_ROLE')).toMatchObject({ target: 'carol', actorId: 'carol', actorName: 'Carol C.', fields: [{ field: 'role', secret: false, before: 'USER', after: 'ADMIN' }] });
    await asAnnOrThrow(app.gql('{ me { id } }', {}, carol(Role.USER)));
    expect(await latest('USER_ROLE')).toMatchObject({ target: 'carol', fields: [{ field: 'role', before: 'ADMIN', after: 'USER' }] });
    expect((await auditLog({ filter: { kind: 'USER_ROLE' } })).totalCount).toBe(count + 2);

    // Someone Herald meets for the first time as an ADMIN: from no role to ADMIN.
    await asAnnOrThrow(app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'dave')));
    expect(await latest('USER_ROLE')).toMatchObject({ target: 'dave', actorId: 'dave', actorName: null, fields: [{ field: 'role', before: null, after: 'ADMIN' }] });
  });

  it('is for ADMINs only', async () => {
    for (const token of [app.token(Role.USER, 'ann'), app.token(Role.SERVICE, 'console')]) {
      const res = await app.gql(AUDIT_LOG, {}, token);
      expect(res.data).toBeNull();
      expect(res.errors?.[0].extensions.code).toBe('FORBIDDEN');
    }
    expect((await app.gql(AUDIT_LOG, {})).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('writes nothing for a change refused by validation', async () => {
    const snapshot = async () => ({ log: (await auditLog()).totalCount, settings: await asAnn('{ smtpSettings { host port updatedAt } mailDefaults { language timeZone updatedAt } }', {}) });
    const start = await snapshot();
    const refused = async (query: string, input: Record<string, unknown>, field: string) => {
      const res = await app.gql(query, { input }, ann);
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions.fields!.map((f) => f.field)).toContain(field);
    };
    await refused(UPDATE_SMTP, { port: 99999 }, 'port'); // by the input's rules
    await refused(UPDATE_SMTP, { host: null, port: 25 }, 'host'); // by the settings' own checks, after the port was taken
    await refused(UPDATE_SMTP, { authMethod: 'OAUTH2_REFRESH_TOKEN' }, 'oauth2TokenUrl');
    await refused(UPDATE_DEFAULTS, { timeZone: 'Mars/Olympus_Mons' }, 'timeZone');
    expect(await snapshot()).toEqual(start);
  });

  it('keeps a change and its entry together: neither is written without the other', async () => {
    const dataSource = app.app.get(DataSource);
    const { smtpSettings: start } = await asAnn('{ smtpSettings { host updatedAt } }', {});
    const count = (await auditLog()).totalCount;

    // The entry cannot be written: the change is not made either.
    await refuseWrites(dataSource, 'audit_log');
    try {
      // (The failed statement is logged, as any is: kept out of the test's output.)
      const { result: res } = await capturingOutput(() => app.gql(UPDATE_SMTP, { input: { host: 'never.example.com' } }, ann));
      expect(res.errors).toBeDefined();
    } finally {
      await allowWrites(dataSource, 'audit_log');
    }
    expect((await asAnn('{ smtpSettings { host updatedAt } }', {})).smtpSettings).toEqual(start);

    // The change cannot be saved: no entry tells of it.
    await refuseWrites(dataSource, 'properties');
    try {
      const { result: res } = await capturingOutput(() => app.gql(UPDATE_DEFAULTS, { input: { language: 'en' } }, ann));
      expect(res.errors).toBeDefined();
    } finally {
      await allowWrites(dataSource, 'properties');
    }
    expect((await auditLog()).totalCount).toBe(count);
    expect((await asAnn('{ mailDefaults { language } }', {})).mailDefaults.language).toBe('fr');
  });

  it('filters by kind and by time, newest first, a page at a time', async () => {
    const all = await auditLog({ first: 100 });
    const ids = all.entries.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.totalCount).toBe(all.entries.length);

    for (const kind of ['SMTP_SETTINGS', 'MAIL_DEFAULTS', 'USER_ROLE']) {
      const some = await auditLog({ filter: { kind }, first: 100 });
      expect(some.entries.length).toBeGreaterThan(0);
      expect(some.entries.every((e) => e.kind === kind)).toBe(true);
      expect(some.totalCount).toBe(all.entries.filter((e) => e.kind === kind).length);
    }

    // Two changes with a moment between them: `from` is inclusive, `to` exclusive.
    await asAnn(UPDATE_DEFAULTS, { input: { language: 'en' } });
    await sleep(50);
    const between = new Date();
    await sleep(50);
    await asAnn(UPDATE_DEFAULTS, { input: { language: 'fr' } });
    const earlier = await auditLog({ filter: { kind: 'MAIL_DEFAULTS', to: between.toISOString() } });
    const later = await auditLog({ filter: { kind: 'MAIL_DEFAULTS', from: between.toISOString() } });
    expect(later.entries.map((e) => e.fields[0].after)).toEqual(['fr']);
    expect(earlier.entries[0].fields[0].after).toBe('en');
    expect(earlier.totalCount + later.totalCount).toBe((await auditLog({ filter: { kind: 'MAIL_DEFAULTS' } })).totalCount);
    const window = await auditLog({ filter: { from: later.entries[0].at, to: new Date(Date.parse(later.entries[0].at) + 1).toISOString() } });
    expect(window.entries.map((e) => e.id)).toContain(later.entries[0].id);

    // Pages: first/after, as every connection of the API.
    const first = await auditLog({ first: 2 });
    expect(first.entries.map((e) => e.id)).toEqual((await auditLog({ first: 100 })).entries.slice(0, 2).map((e) => e.id));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = await auditLog({ first: 2, after: first.pageInfo.endCursor });
    expect(Number(next.entries[0].id)).toBeLessThan(Number(first.entries[1].id));
    const bad = await app.gql(AUDIT_LOG, { after: 'not-a-cursor' }, ann);
    expect(bad.errors?.[0].extensions.fields).toEqual([{ field: 'after', message: expect.any(String) }]);
  });
});

describe(`the audit log of the first-start seed (${DATABASE_KIND})`, () => {
  it('records the settings seeded from the environment once, by "system"; later starts add nothing', async () => {
    const env = { SMTP_HOST: 'seed.example.com', SMTP_SENDER: 'seed@example.com', SMTP_USERNAME: 'seed-user', SMTP_PASSWORD: 'seeded-secret-77', MAIL_DEFAULT_LANGUAGE: 'fr' };
    const first = await HeraldTestApp.start(env);
    let storage;
    try {
      const read = async (app: HeraldTestApp) => {
        const res = await app.gql(`query { auditLog(first: 100) { totalCount edges { node { ${ENTRY} } } } }`, {}, app.token(Role.ADMIN, 'reader'));
        expect(res.errors).toBeUndefined();
        return { json: JSON.stringify(res), entries: (res.data.auditLog.edges as Array<{ node: Entry }>).map((e) => e.node).filter((e) => e.kind !== 'USER_ROLE') };
      };
      const { json, entries } = await read(first);
      expect(json).not.toContain('seeded-secret-77');
      // The two seeds run side by side at start-up: in either order.
      expect([...entries].sort((x, y) => x.kind.localeCompare(y.kind))).toEqual([
        expect.objectContaining({ kind: 'MAIL_DEFAULTS', target: 'mailDefaults', actorId: 'system', actorName: 'first-start seed', fields: [{ field: 'language', secret: false, before: null, after: 'fr' }] }),
        expect.objectContaining({
          kind: 'SMTP_SETTINGS',
          target: 'smtpSettings',
          actorId: 'system',
          actorName: 'first-start seed',
          fields: [
            { field: 'host', secret: false, before: null, after: 'seed.example.com' },
            { field: 'sender', secret: false, before: null, after: 'seed@example.com' },
            { field: 'username', secret: false, before: null, after: 'seed-user' },
            { field: 'password', secret: true, before: null, after: null },
          ],
        }),
      ]);
      await first.close({ keepData: true });
      storage = first.storage;
      const second = await HeraldTestApp.start({ ...env, SMTP_HOST: 'ignored.example.com', MAIL_DEFAULT_TIME_ZONE: 'Europe/Paris' }, storage);
      try {
        // MAIL_DEFAULT_TIME_ZONE had no row yet: the seed fills it (and says so); the rest is kept.
        const later = (await read(second)).entries;
        expect(later.slice(1)).toEqual(entries);
        expect(later[0]).toMatchObject({ kind: 'MAIL_DEFAULTS', actorId: 'system', fields: [{ field: 'timeZone', before: null, after: 'Europe/Paris' }] });
      } finally {
        await second.close();
      }
    } catch (error) {
      if (!storage) await first.close();
      throw error;
    }
  });
});

/** Fails the request if it failed (a helper for calls made as people other than Ann). */
async function asAnnOrThrow(response: Promise<{ errors?: unknown[] }>): Promise<void> {
  const res = await response;
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

/** Makes every write to `table` fail, as a full disk or a broken constraint would, until allowWrites. */
async function refuseWrites(dataSource: DataSource, table: string): Promise<void> {
  if (dataSource.options.type === 'postgres') {
    const schema = dataSource.options.schema!;
    await dataSource.query(`CREATE OR REPLACE FUNCTION "${schema}".refuse_writes() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'writes refused by the test'; END $$ LANGUAGE plpgsql`);
    await dataSource.query(`CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE ON "${schema}"."${table}" FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_writes()`);
  } else {
    for (const event of ['INSERT', 'UPDATE']) {
      await dataSource.query(`CREATE TRIGGER refuse_${event.toLowerCase()} BEFORE ${event} ON "${table}" BEGIN SELECT RAISE(ABORT, 'writes refused by the test'); END`);
    }
  }
}

async function allowWrites(dataSource: DataSource, table: string): Promise<void> {
  if (dataSource.options.type === 'postgres') {
    await dataSource.query(`DROP TRIGGER refuse_writes ON "${dataSource.options.schema!}"."${table}"`);
  } else {
    for (const event of ['insert', 'update']) await dataSource.query(`DROP TRIGGER refuse_${event}`);
  }
}
