import { Role } from '../src/auth/role.enum';
import { allEventTypes } from '../src/event-types/registry';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

const PROFILE = 'id displayName email notificationsEnabled locale';
const ME = `{ me { ${PROFILE} memberships { role application { id name } } preferences { eventType label enabled source receives reason applicationOverrides { applicationId enabled } } } }`;
const UPDATE_ME = `mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { ${PROFILE} } }`;
const SET_PREF = `mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { id preferences { eventType enabled receives reason applicationOverrides { applicationId enabled } } } }`;
const CREATE_APP = 'mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id name } }';
const GRANT = 'mutation($input: MembershipInput!) { grantMembership(input: $input) { role user { id } application { id } } }';
const REVOKE = 'mutation($input: MembershipInput!) { revokeMembership(input: $input) { role } }';
const PREVIEW = 'query($t: JobEventType!, $a: ID!) { recipientsPreview(eventType: $t, applicationId: $a) { userId email } }';

describe(`people, applications and preferences (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  const as = (sub: string, role = Role.USER) => app.token(role, sub, { name: `Name of ${sub}`, email: `${sub}@token.example.com` });
  async function ok<T = any>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
    const res = await app.gql<T>(query, variables, token);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!;
  }
  const service = () => app.token(Role.SERVICE, 'console');

  beforeAll(async () => {
    app = await HeraldTestApp.start();
  });
  afterAll(() => app.close());

  describe('a person', () => {
    it('is created from the token on first call, with notifications off until they turn them on', async () => {
      const { me } = await ok(ME, {}, as('alice'));
      expect(me).toMatchObject({ id: 'alice', displayName: 'Name of alice', email: 'alice@token.example.com', notificationsEnabled: false, locale: null, memberships: [] });
      // Every registered type: those of the wire format and those Herald derives (JOB_RECOVERED).
      expect(me.preferences.map((p: { eventType: string }) => p.eventType)).toEqual(allEventTypes().map((d) => d.type));
      expect(me.preferences.every((p: { reason: string; receives: boolean }) => p.reason === 'NOTIFICATIONS_OFF' && !p.receives)).toBe(true);
    });

    it('round-trips their profile; later tokens do not overwrite it', async () => {
      const { updateMyProfile } = await ok(UPDATE_ME, { input: { email: 'alice@example.com', notificationsEnabled: true, locale: 'fr-FR', displayName: 'Alice A.' } }, as('alice'));
      expect(updateMyProfile).toEqual({ id: 'alice', displayName: 'Alice A.', email: 'alice@example.com', notificationsEnabled: true, locale: 'fr-FR' });
      const { me } = await ok(ME, {}, app.token(Role.USER, 'alice', { email: 'other@token.example.com', name: 'Token Name' }));
      expect(me).toMatchObject({ email: 'alice@example.com', displayName: 'Alice A.' });
      expect(me.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_FAILED')).toMatchObject({ enabled: true, source: 'DEFAULT', receives: true, reason: null });
      // Clearing the email: no mail, and me says why.
      await ok(UPDATE_ME, { input: { email: null } }, as('alice'));
      expect((await ok(ME, {}, as('alice'))).me.preferences[0].reason).toBe('NO_EMAIL');
      await ok(UPDATE_ME, { input: { email: 'alice@example.com' } }, as('alice'));
    });

    it('rejects a bad profile naming each field, and changes nothing', async () => {
      const res = await app.gql(UPDATE_ME, { input: { email: 'not-an-email', locale: 'not a locale!', displayName: 'a\nb', notificationsEnabled: false } }, as('alice'));
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions.fields!.map((f) => f.field).sort()).toEqual(['displayName', 'email', 'locale']);
      expect((await ok(ME, {}, as('alice'))).me).toMatchObject({ email: 'alice@example.com', notificationsEnabled: true, locale: 'fr-FR' });
    });

    it('gives SERVICE tokens no person', async () => {
      expect((await app.gql(ME, {}, service())).errors?.[0].extensions.code).toBe('FORBIDDEN');
      const { users } = await app.admin('{ users(search: "console") { totalCount } }');
      expect(users.totalCount).toBe(0);
    });
  });

  describe('who receives what', () => {
    const people = ['mgr', 'mgr-noemail', 'mgr-off', 'mgr-optout', 'mgr-app-optout', 'mgr-app-optin', 'viewer', 'elsewhere'];
    beforeAll(async () => {
      await ok(CREATE_APP, { input: { id: 'app-1', name: 'Billing' } }, service());
      await ok(CREATE_APP, { input: { id: 'app-2', name: 'Payroll' } }, service());
      for (const p of people) {
        const email = p === 'mgr-noemail' ? null : `${p}@example.com`;
        await ok(UPDATE_ME, { input: { email, notificationsEnabled: p !== 'mgr-off' } }, app.token(Role.USER, p));
        const role = p === 'viewer' ? 'VIEW' : 'MANAGE';
        await ok(GRANT, { input: { userId: p, applicationId: p === 'elsewhere' ? 'app-2' : 'app-1', role } }, service());
      }
      await ok(SET_PREF, { input: { eventType: 'JOB_SUCCEEDED', enabled: false } }, app.token(Role.USER, 'mgr-optout'));
      await ok(SET_PREF, { input: { eventType: 'JOB_SUCCEEDED', applicationId: 'app-1', enabled: false } }, app.token(Role.USER, 'mgr-app-optout'));
      await ok(SET_PREF, { input: { eventType: 'JOB_SUCCEEDED', enabled: false } }, app.token(Role.USER, 'mgr-app-optin'));
      await ok(SET_PREF, { input: { eventType: 'JOB_SUCCEEDED', applicationId: 'app-1', enabled: true } }, app.token(Role.USER, 'mgr-app-optin'));
    });

    const preview = async (t: string, a: string) =>
      ((await app.admin(PREVIEW, { t, a })).recipientsPreview as { userId: string }[]).map((r) => r.userId).sort();

    it('is every manager with an email and notifications on who has not opted out; the application choice wins', async () => {
      expect(await preview('JOB_SUCCEEDED', 'app-1')).toEqual(['mgr', 'mgr-app-optin']);
      expect(await preview('JOB_FAILED', 'app-1')).toEqual(['mgr', 'mgr-app-optin', 'mgr-app-optout', 'mgr-optout']);
      expect(await preview('JOB_FAILED', 'app-2')).toEqual(['elsewhere']);
      expect(await preview('JOB_FAILED', 'no-such-app')).toEqual([]);
    });

    it('shows a person their effective choices', async () => {
      const { me } = await ok(ME, {}, app.token(Role.USER, 'mgr-app-optin'));
      const succeeded = me.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_SUCCEEDED');
      expect(succeeded).toMatchObject({ enabled: false, source: 'USER', receives: false, reason: 'OPTED_OUT', applicationOverrides: [{ applicationId: 'app-1', enabled: true }] });
      expect(me.memberships).toEqual([{ role: 'MANAGE', application: { id: 'app-1', name: 'Billing' } }]);
    });

    it('forgets a choice given null, back to the default', async () => {
      await ok(SET_PREF, { input: { eventType: 'JOB_SUCCEEDED', enabled: null } }, app.token(Role.USER, 'mgr-optout'));
      expect(await preview('JOB_SUCCEEDED', 'app-1')).toContain('mgr-optout');
      await ok(SET_PREF, { input: { eventType: 'JOB_SUCCEEDED', enabled: false } }, app.token(Role.USER, 'mgr-optout'));
      expect(await preview('JOB_SUCCEEDED', 'app-1')).not.toContain('mgr-optout');
    });

    it('follows revoked memberships and deleted applications', async () => {
      await ok(CREATE_APP, { input: { id: 'app-tmp', name: 'Temp' } }, service());
      await ok(GRANT, { input: { userId: 'mgr', applicationId: 'app-tmp' } }, service());
      expect(await preview('JOB_FAILED', 'app-tmp')).toEqual(['mgr']);
      await ok(REVOKE, { input: { userId: 'mgr', applicationId: 'app-tmp', role: 'MANAGE' } }, service());
      expect(await preview('JOB_FAILED', 'app-tmp')).toEqual([]);
      await ok(GRANT, { input: { userId: 'mgr', applicationId: 'app-tmp' } }, service());
      await ok('mutation { deleteApplication(input: { id: "app-tmp" }) { id } }', {}, service());
      expect((await ok(ME, {}, app.token(Role.USER, 'mgr'))).me.memberships.map((m: { application: { id: string } }) => m.application.id)).toEqual(['app-1']);
    });

    it('answers NOT_FOUND and CONFLICT where they apply', async () => {
      expect((await app.gql(CREATE_APP, { input: { id: 'app-1', name: 'Again' } }, service())).errors?.[0].extensions.code).toBe('CONFLICT');
      expect((await app.gql(GRANT, { input: { userId: 'x', applicationId: 'nope' } }, service())).errors?.[0].extensions.code).toBe('NOT_FOUND');
      expect((await app.gql(REVOKE, { input: { userId: 'viewer', applicationId: 'app-1', role: 'MANAGE' } }, service())).errors?.[0].extensions.code).toBe('NOT_FOUND');
      expect((await app.gql(SET_PREF, { input: { eventType: 'JOB_FAILED', applicationId: 'nope', enabled: true } }, as('alice'))).errors?.[0].extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('pagination and search', () => {
    beforeAll(async () => {
      for (let i = 0; i < 23; i++) await ok(CREATE_APP, { input: { id: `page-${String(i).padStart(2, '0')}`, name: i % 2 ? 'Odd 50%' : 'Even' } }, service());
    });

    it('walks applications page by page with cursors', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const { applications }: any = await app.admin('query($after: String) { applications(first: 10, after: $after, search: "page-") { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }', { after });
        expect(applications.totalCount).toBe(23);
        // Relay's PageInfo: the page's first and last cursors; forward only, so no previous page is announced.
        expect(applications.pageInfo).toMatchObject({ hasPreviousPage: false, startCursor: applications.edges[0].cursor, endCursor: applications.edges.at(-1).cursor });
        seen.push(...applications.edges.map((e: { node: { id: string } }) => e.node.id));
        after = applications.pageInfo.hasNextPage ? applications.pageInfo.endCursor : null;
        pages++;
      } while (after);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`));
    });

    it('searches case-insensitively, wildcards taken literally', async () => {
      const { applications } = await app.admin('{ applications(search: "odd 50%") { totalCount } }');
      expect(applications.totalCount).toBe(11);
      const { users } = await app.admin('{ users(first: 2, search: "MGR-APP") { totalCount edges { node { id } } pageInfo { hasNextPage } } }');
      expect(users).toEqual({ totalCount: 2, edges: [{ node: { id: 'mgr-app-optin' } }, { node: { id: 'mgr-app-optout' } }], pageInfo: { hasNextPage: false } });
    });

    it('rejects a foreign cursor and a page too large', async () => {
      const bad = await app.gql('{ applications(after: "garbage") { totalCount } }', {}, app.token(Role.ADMIN));
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'after', message: 'is not a cursor of this list' }] });
      // A cursor forged of the right shape, but holding what no key is (an object, a list, true): refused the same way, not an internal error.
      for (const key of ['[{"a":1}]', '[["page-01"]]', '[true]']) {
        for (const list of ['applications', 'users']) {
          const forged = await app.gql(`query($after: String) { ${list}(after: $after) { totalCount } }`, { after: Buffer.from(key).toString('base64url') }, app.token(Role.ADMIN));
          const refused = expect.objectContaining({ code: 'BAD_USER_INPUT', fields: [{ field: 'after', message: 'is not a cursor of this list' }] });
          expect({ key, list, errors: forged.errors?.map((e) => e.extensions) }).toEqual({ key, list, errors: [refused] });
        }
      }
      const big = await app.gql('{ applications(first: 1000) { totalCount } }', {}, app.token(Role.ADMIN));
      expect(big.errors?.[0].extensions.fields).toEqual([{ field: 'first', message: 'must not be greater than 100' }]);
    });
  });

  describe('who may do what', () => {
    type Caller = 'anonymous' | 'USER' | 'SERVICE' | 'ADMIN';
    const OPS: Array<{ name: string; query: string; vars: Record<string, unknown>; allowed: Caller[] }> = [
      { name: 'me', query: '{ me { id } }', vars: {}, allowed: ['USER', 'ADMIN'] },
      { name: 'updateMyProfile', query: UPDATE_ME, vars: { input: { locale: 'en' } }, allowed: ['USER', 'ADMIN'] },
      { name: 'setNotificationPreference', query: SET_PREF, vars: { input: { eventType: 'JOB_STOPPED', enabled: true } }, allowed: ['USER', 'ADMIN'] },
      { name: 'users', query: '{ users { totalCount } }', vars: {}, allowed: ['ADMIN'] },
      { name: 'updateUser', query: 'mutation { updateUser(input: { userId: "alice", locale: "de" }) { id } }', vars: {}, allowed: ['ADMIN'] },
      { name: 'recipientsPreview', query: PREVIEW, vars: { t: 'JOB_FAILED', a: 'app-1' }, allowed: ['ADMIN'] },
      { name: 'applications', query: '{ applications { totalCount } }', vars: {}, allowed: ['SERVICE', 'ADMIN'] },
      { name: 'createApplication', query: CREATE_APP, vars: { input: { id: `m-${Date.now()}`, name: 'M' } }, allowed: ['SERVICE', 'ADMIN'] },
      { name: 'updateApplication', query: 'mutation { updateApplication(input: { id: "app-2", name: "Payroll" }) { id } }', vars: {}, allowed: ['SERVICE', 'ADMIN'] },
      { name: 'grantMembership', query: GRANT, vars: { input: { userId: 'viewer', applicationId: 'app-2', role: 'VIEW' } }, allowed: ['SERVICE', 'ADMIN'] },
      { name: 'revokeMembership', query: REVOKE, vars: { input: { userId: 'viewer', applicationId: 'app-2', role: 'VIEW' } }, allowed: ['SERVICE', 'ADMIN'] },
      { name: 'deleteApplication', query: 'mutation($input: DeleteApplicationInput!) { deleteApplication(input: $input) { id } }', vars: { input: { id: 'to-delete' } }, allowed: ['SERVICE', 'ADMIN'] },
    ];
    const token = (caller: Caller) =>
      caller === 'anonymous' ? undefined : app.token(caller as Role, caller === 'USER' ? 'bob' : `${caller.toLowerCase()}-caller`);

    for (const op of OPS) {
      it(`${op.name}: ${op.allowed.join(', ')} only`, async () => {
        for (const caller of ['anonymous', 'USER', 'SERVICE', 'ADMIN'] as Caller[]) {
          if (op.name === 'deleteApplication') await ok(CREATE_APP, { input: { id: 'to-delete', name: 'D' } }, service()).catch(() => undefined);
          if (op.name === 'revokeMembership') await ok(GRANT, op.vars, service());
          if (op.name === 'createApplication') op.vars = { input: { id: `m-${caller}-${Date.now()}`, name: 'M' } };
          const res = await app.gql(op.query, op.vars, token(caller));
          const code = res.errors?.[0].extensions.code ?? 'OK';
          const expected = op.allowed.includes(caller) ? 'OK' : caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
          expect(`${caller}: ${code}`).toBe(`${caller}: ${expected}`);
        }
      });
    }

    it("a USER cannot touch another person's profile or preferences", async () => {
      const before = (await ok(ME, {}, as('alice'))).me;
      const res = await app.gql('mutation { updateUser(input: { userId: "alice", email: "evil@example.com" }) { id } }', {}, as('mallory'));
      expect(res.errors?.[0].extensions.code).toBe('FORBIDDEN');
      // What a USER sends is always about themselves: mallory's change lands on mallory.
      await ok(SET_PREF, { input: { eventType: 'JOB_FAILED', enabled: false } }, as('mallory'));
      expect((await ok(ME, {}, as('alice'))).me).toEqual(before);
    });

    it('an ADMIN can change another person', async () => {
      const { updateUser } = await app.admin('mutation { updateUser(input: { userId: "bob", locale: "de", notificationsEnabled: true }) { id locale notificationsEnabled } }');
      expect(updateUser).toEqual({ id: 'bob', locale: 'de', notificationsEnabled: true });
      expect((await app.gql('mutation { updateUser(input: { userId: "nobody", locale: "de" }) { id } }', {}, app.token(Role.ADMIN))).errors?.[0].extensions.code).toBe('NOT_FOUND');
    });
  });
});
