import { Role } from '../src/auth/role.enum';
import type { Principal } from '../src/auth/principal';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const ME = '{ me { id displayName email } }';
const UPDATE_ME = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }';
const GRANT = 'mutation($input: MembershipInput!) { grantMembership(input: $input) { role } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { recipientId address status } audience { userId email outcome detail } } }';

/**
 * A bearer token's `name` and `email` claims become a new person's display name and
 * address: they are held to the rules of updateMyProfile's displayName and email. A
 * claim that breaks them is left out (the token still counts: a bad claim locks nobody
 * out), with a warning naming the claim and why — never the value or the token.
 */
describe(`profile claims of a bearer token (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const token = (sub: string, claims: Partial<Principal>) => app.token(Role.USER, sub, claims);
  const me = async (bearer: string) => {
    const { result, log } = await capturingOutput(() => app.gql(ME, {}, bearer));
    expect(log).not.toContain(bearer);
    return { result, log };
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ LOG_LEVEL: 'warn', DISPATCH_SWEEP_INTERVAL_MS: '100' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('takes a token whose email claim is two addresses; the new person has no address, and the log says why without the value', async () => {
    const { result, log } = await me(token('eve', { name: 'Eve', email: 'eve@x.test, victim@y.test' }));
    expect(result).toEqual({ data: { me: { id: 'eve', displayName: 'Eve', email: null } } });
    expect(log).toContain('the token\'s email claim is not used (sub eve): must be an email address');
    expect(log).not.toContain('victim@y.test');
  });

  it('keeps no address from an email claim with CR/LF, and no mail goes to it', async () => {
    const bad = '"m\r\nRCPT TO:<victim@y.test>"@x.test'; // one address to a loose check, with an SMTP command inside
    const mallory = token('mallory', { name: 'Mallory', email: bad });
    const { result, log } = await me(mallory);
    expect(result).toEqual({ data: { me: { id: 'mallory', displayName: 'Mallory', email: null } } });
    expect(log).toContain('the token\'s email claim is not used (sub mallory): must be an email address');
    expect(log).not.toContain('victim@y.test');

    // A manager of billing with notifications on: the event goes to ann only; mallory has no address.
    expect((await app.gql(UPDATE_ME, { input: { notificationsEnabled: true } }, mallory)).errors).toBeUndefined();
    expect((await app.gql(GRANT, { input: { userId: 'mallory', applicationId: 'billing', role: 'MANAGE' } }, app.token(Role.SERVICE, 'console'))).errors).toBeUndefined();
    const at = '2026-11-24T09:10:00Z';
    const event = {
      schemaVersion: 1, id: `claims-${process.pid}`, type: 'JOB_FAILED', occurredAt: at, application: { id: 'billing', name: 'Billing' },
      job: { id: 'job-1', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: at }, error: { message: 'Out of memory' },
    };
    const published = await app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
    expect(published.errors).toBeUndefined();
    const { eventId } = published.data!.publishJobEvent as { eventId: string };
    const sent = await eventually(async () => {
      const e = (await app.admin(EVENT, { id: eventId })).event;
      expect(e.deliveries.length).toBeGreaterThan(0);
      expect(e.deliveries.every((d: { status: string }) => d.status === 'SENT')).toBe(true);
      return e;
    });
    expect(sent.deliveries).toEqual([{ recipientId: 'ann', address: 'ann@example.com', status: 'SENT' }]);
    expect(sent.audience.find((m: { userId: string }) => m.userId === 'mallory')).toMatchObject({ email: null, outcome: 'NOT_RECEIVING', detail: expect.stringContaining('no email address') });
    await eventually(async () => expect(sink.received.length).toBeGreaterThan(0));
    expect(sink.received.flatMap((m) => m.to)).toEqual(['ann@example.com']);
    expect(sink.received.some((m) => m.raw.includes('victim@y.test'))).toBe(false);
  });

  it('stores no display name from a name claim with control characters or of 10,000 characters', async () => {
    const escape = await me(token('ivan', { name: 'Ivan\u001b[2J\u0007', email: 'ivan@example.com' }));
    expect(escape.result).toEqual({ data: { me: { id: 'ivan', displayName: null, email: 'ivan@example.com' } } });
    expect(escape.log).toContain('the token\'s name claim is not used (sub ivan): must not contain control characters');
    expect(escape.log).not.toContain('Ivan');

    const long = await me(token('lena', { name: 'L'.repeat(10_000), email: 'lena@example.com' }));
    expect(long.result).toEqual({ data: { me: { id: 'lena', displayName: null, email: 'lena@example.com' } } });
    expect(long.log).toContain('the token\'s name claim is not used (sub lena): must be shorter than or equal to 255 characters');
    expect(long.log).not.toContain('LLLL');
  });

  it('keeps a known person\'s address and name when a later token carries bad ones', async () => {
    const { result } = await me(token('ann', { name: 'Ann\u0000', email: 'ann@example.com\r\nBcc: victim@y.test' }));
    expect(result).toEqual({ data: { me: { id: 'ann', displayName: null, email: 'ann@example.com' } } });
  });

  it('still makes the profile from valid claims, as before', async () => {
    const { result, log } = await me(token('zoe', { name: 'Zoë Ölund', email: 'zoe@example.com' }));
    expect(result).toEqual({ data: { me: { id: 'zoe', displayName: 'Zoë Ölund', email: 'zoe@example.com' } } });
    expect(log).not.toContain('claim');
  });
});
