import { Role } from '../../src/auth/role.enum';
import type { HeraldTestApp } from './herald-test-app';

export interface Person {
  id: string;
  /** null: no email address. */
  email?: string | null;
  notificationsEnabled?: boolean;
  role?: 'MANAGE' | 'VIEW';
  /** Event types this person switched off (globally). */
  optOut?: string[];
}

async function ok(app: HeraldTestApp, query: string, variables: Record<string, unknown>, token: string): Promise<void> {
  const res = await app.gql(query, variables, token);
  if (res.errors) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
}

/**
 * Sets up an application and its people the way the console and the people
 * themselves would: through GraphQL, the console with a SERVICE token, each
 * person with their own token.
 */
export async function seedApplication(app: HeraldTestApp, application: { id: string; name: string }, people: Person[]): Promise<void> {
  const console = app.token(Role.SERVICE, 'console');
  await ok(app, 'mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }', { input: application }, console);
  for (const p of people) {
    const own = app.token(Role.USER, p.id);
    const email = p.email === undefined ? `${p.id}@example.com` : p.email;
    await ok(app, 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }', { input: { email, notificationsEnabled: p.notificationsEnabled ?? true } }, own);
    await ok(app, 'mutation($input: MembershipInput!) { grantMembership(input: $input) { role } }', { input: { userId: p.id, applicationId: application.id, role: p.role ?? 'MANAGE' } }, console);
    for (const eventType of p.optOut ?? []) {
      await ok(app, 'mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { id } }', { input: { eventType, enabled: false } }, own);
    }
  }
}

/** Polls until `check` passes or `ms` run out (outcomes, not timings, are asserted). */
export async function eventually<T>(check: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
