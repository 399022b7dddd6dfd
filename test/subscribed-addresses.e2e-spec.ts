import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const PUBLIC_URL = 'https://herald.example.com';
const SUBSCRIPTION = 'id recipientId applicationId address types frequency status confirmedAt unsubscribedAt confirmationError';
const SUBSCRIBE = `mutation($input: SubscribeAddressInput!) { subscribeAddress(input: $input) { ${SUBSCRIPTION} } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeAddressInput!) { unsubscribeAddress(input: $input) { ${SUBSCRIPTION} } }`;
const SUBSCRIBERS = `query($applicationId: ID!) { applicationSubscribers(applicationId: $applicationId) { ${SUBSCRIPTION} } }`;
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { recipientId address status lastError } audience { userId email outcome detail } } }';
const AUDIT = '{ auditLog(filter: { kind: SUBSCRIPTION }) { edges { node { target actorId fields { field before after } } } } }';

interface Subscription {
  id: string;
  recipientId: string;
  address: string;
  status: string;
  confirmationError: string | null;
}

let seq = 0;
const failed = (applicationId = 'billing') => {
  const at = '2026-11-24T09:10:00Z';
  return {
    schemaVersion: 1,
    id: `subscribers-${process.pid}-${++seq}`,
    type: 'JOB_FAILED',
    occurredAt: at,
    application: { id: applicationId, name: 'Billing' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: at },
    error: { message: 'Out of memory' },
  };
};

/**
 * Addresses that are not console users, subscribed to an application (issue 27):
 * through GraphQL, the confirmation mail and the notifications as a real SMTP
 * server receives them, the confirmation page, and the signed preferences page
 * and RFC 8058 one-click unsubscribe of the list's own mails.
 */
describe(`subscribed addresses (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const local = (url: string) => url.replace(PUBLIC_URL, app.url);
  const ann = () => app.token(Role.USER, 'ann'); // a MANAGE member of billing
  const subscribers = async () => (await app.admin(SUBSCRIBERS, { applicationId: 'billing' })).applicationSubscribers as Subscription[];
  const publish = async (event = failed()) => {
    const res = await app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.publishJobEvent as { eventId: string; deliveries: number };
  };
  const eventOf = async (id: string) => (await app.admin(EVENT, { id })).event as { deliveries: Array<Record<string, string | null>>; audience: Array<Record<string, string | null>> };
  const mailTo = (address: string, eventId: string): Promise<ReceivedMail> =>
    eventually(async () => {
      const got = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === eventId && m.to[0] === address);
      expect(got).toBeDefined();
      return got!;
    });
  const linksOf = (mail: ReceivedMail) => {
    const page = /(https:\/\/herald\.example\.com\/preferences\?t=[A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')![1];
    const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    return { page: local(page), oneClick: local(/^List-Unsubscribe: <([^>]+)>$/m.exec(headers)![1]), post: /^List-Unsubscribe-Post: (.+)$/m.exec(headers)?.[1] };
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ HERALD_PUBLIC_URL: PUBLIC_URL, DISPATCH_SWEEP_INTERVAL_MS: '100' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }]);
    await seedApplication(app, { id: 'shop', name: 'Shop' }, [{ id: 'bob' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('a list subscribed by a member gets a confirmation mail and nothing else until its link is followed, then its notifications', async () => {
    const res = await app.gql(SUBSCRIBE, { input: { applicationId: 'billing', address: 'billing-team@example.com', types: ['JOB_FAILED'] } }, ann());
    expect(res.errors).toBeUndefined();
    const sub = res.data!.subscribeAddress as Subscription;
    expect(sub).toMatchObject({ recipientId: `subscriber ${sub.id}`, address: 'billing-team@example.com', status: 'PENDING', confirmationError: null });
    const confirmation = await eventually(async () => {
      const got = sink.received.find((m) => m.to[0] === 'billing-team@example.com');
      expect(got).toBeDefined();
      return got!;
    });
    expect(confirmation.parsed.subject).toBe('Confirm: Herald notifications about Billing to this address');
    const link = local(/(https:\/\/herald\.example\.com\/subscriptions\/confirm\?t=[A-Za-z0-9_-]+)/.exec(confirmation.parsed.text ?? '')![1]);

    // Not confirmed: the event goes to ann only; event(id) says why the list got nothing.
    const before = await publish();
    expect(before.deliveries).toBe(1);
    await mailTo('ann@example.com', before.eventId);
    const pending = (await eventOf(before.eventId)).audience.find((m) => m.userId === sub.recipientId);
    expect(pending).toMatchObject({ email: 'billing-team@example.com', outcome: 'NOT_RECEIVING', detail: 'no mail: the address has not followed its confirmation link yet (nothing is sent to it until then)' });

    // The link's GET shows a button and changes nothing (mail scanners follow links); its POST confirms.
    const page = await request(link).get('');
    expect(page.status).toBe(200);
    expect(page.text).toContain("Send Herald's notifications about the application Billing (billing) to billing-team@example.com?");
    expect((await subscribers())[0].status).toBe('PENDING');
    const token = new URL(link).searchParams.get('t');
    const confirmed = await request(app.url).post('/subscriptions/confirm').type('form').send({ t: token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Confirmed: billing-team@example.com now receives');
    expect((await subscribers())[0]).toMatchObject({ status: 'ACTIVE', confirmedAt: expect.any(String) });
    expect((await request(app.url).post('/subscriptions/confirm').type('form').send({ t: token })).status).toBe(410); // once

    const after = await publish();
    expect(after.deliveries).toBe(2);
    const mail = await mailTo('billing-team@example.com', after.eventId);
    expect(mail.parsed.subject).toContain('Billing');
    const event = await eventually(async () => {
      const e = await eventOf(after.eventId);
      expect(e.deliveries.every((d) => d.status === 'SENT')).toBe(true);
      return e;
    });
    expect(event.deliveries.map((d) => [d.recipientId, d.address]).sort()).toEqual([['ann', 'ann@example.com'], [sub.recipientId, 'billing-team@example.com']]);
    expect(event.audience.find((m) => m.userId === sub.recipientId)).toMatchObject({ outcome: 'MAILED', email: 'billing-team@example.com' });
    // The delivery log finds its mails by its recipient id.
    const log = await app.admin('query($f: DeliveryFilter) { deliveries(filter: $f) { edges { node { recipientId address status } } } }', { f: { recipientId: sub.recipientId } });
    expect(log.deliveries.edges.map((e: { node: unknown }) => e.node)).toEqual([{ recipientId: sub.recipientId, address: 'billing-team@example.com', status: 'SENT' }]);
    // Its own signed preferences page shows its subscription.
    const prefs = await request(linksOf(mail).page).get('');
    expect(prefs.status).toBe(200);
    expect(prefs.text).toContain('billing-team@example.com is subscribed to Herald&#39;s notifications about Billing.');
    expect(prefs.text).toContain('Unsubscribe this address');
  });

  it('refuses what a caller may not do, and bad addresses naming the field, changing nothing', async () => {
    const before = await subscribers();
    const input = { applicationId: 'billing', address: 'x@example.com', types: ['JOB_FAILED'] };
    const stranger = await app.gql(SUBSCRIBE, { input }, app.token(Role.USER, 'bob'));
    expect(stranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const skip = await app.gql(SUBSCRIBE, { input: { ...input, skipConfirmation: true } }, ann());
    expect(skip.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    for (const address of ['x@example.com\r\nBcc: y@example.com', 'x@example.com, y@example.com', 'x\u0007@example.com', `${'x'.repeat(250)}@example.com`, `${'x'.repeat(60)}@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example.com`, 'Team <x@example.com>']) {
      const res = await app.gql(SUBSCRIBE, { input: { ...input, address } }, ann());
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'address' })] });
    }
    const empty = await app.gql(SUBSCRIBE, { input: { ...input, types: [] } }, ann());
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'types' })] });
    expect(await subscribers()).toEqual(before);
  });

  it('subscribing a pending address again within minutes sends no second confirmation mail: the first link still works', async () => {
    const input = { applicationId: 'billing', address: 'again@example.com', types: ['JOB_FAILED'] };
    const first = await app.gql(SUBSCRIBE, { input }, ann());
    expect(first.data?.subscribeAddress).toMatchObject({ status: 'PENDING', confirmationError: null });
    const mail = await eventually(async () => {
      const got = sink.received.filter((m) => m.to[0] === 'again@example.com');
      expect(got).toHaveLength(1);
      return got[0];
    });
    const again = await app.gql(SUBSCRIBE, { input: { ...input, types: ['JOB_FAILED', 'JOB_STOPPED'] } }, ann());
    expect(again.data?.subscribeAddress).toMatchObject({ status: 'PENDING', confirmationError: expect.stringMatching(/^a confirmation mail went to this address less than 10 minutes ago: its link still works; another can be sent from /) });
    const link = local(/(https:\/\/herald\.example\.com\/subscriptions\/confirm\?t=[A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')![1]);
    const page = await fetch(link);
    expect(page.status).toBe(200); // the first mail's link is still the one
    expect(sink.received.filter((m) => m.to[0] === 'again@example.com')).toHaveLength(1);
  });

  it('an ADMIN may skip the confirmation, and the audit log records it', async () => {
    const sub = (await app.admin(SUBSCRIBE, { input: { applicationId: 'billing', address: 'Ops@example.com', types: ['JOB_FAILED', 'JOB_SUCCEEDED'], skipConfirmation: true } })).subscribeAddress as Subscription;
    expect(sub).toMatchObject({ status: 'ACTIVE', address: 'Ops@example.com' });
    const audit = (await app.admin(AUDIT)).auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(audit).toContainEqual({
      target: 'billing/ops@example.com',
      actorId: 'admin',
      fields: [
        { field: 'status', before: null, after: 'ACTIVE' },
        { field: 'confirmation', before: null, after: 'skipped by an ADMIN' },
      ],
    });
    const { eventId } = await publish();
    await mailTo('Ops@example.com', eventId);
    expect(sink.received.filter((m) => m.to[0] === 'Ops@example.com' && !m.parsed.headers.get('x-herald-event-id'))).toEqual([]); // no confirmation mail
  });

  it("a list's mail unsubscribes it in one click (RFC 8058 POST), once; then it gets nothing and event(id) says why", async () => {
    const sub = (await subscribers()).find((s) => s.address === 'Ops@example.com')!;
    expect(sub.status).toBe('ACTIVE');
    const { eventId } = await publish();
    const links = linksOf(await mailTo('Ops@example.com', eventId));
    expect(links.post).toBe('List-Unsubscribe=One-Click');
    expect((await request(links.oneClick).post('').type('form').send('nothing=here')).status).toBe(400); // not a one-click body
    const click = await request(links.oneClick).post('').type('form').send('List-Unsubscribe=One-Click');
    expect(click.status).toBe(200);
    expect(click.text).toContain('Ops@example.com will no longer receive Herald&#39;s notifications about Billing.');
    expect((await request(links.oneClick).post('').type('form').send('List-Unsubscribe=One-Click')).status).toBe(409);
    expect((await subscribers()).find((s) => s.id === sub.id)).toMatchObject({ status: 'UNSUBSCRIBED', unsubscribedAt: expect.any(String) });

    const next = await publish();
    expect((await eventOf(next.eventId)).audience.find((m) => m.userId === sub.recipientId)).toMatchObject({ outcome: 'NOT_RECEIVING', detail: 'no mail: the address unsubscribed' });
    expect((await eventOf(next.eventId)).deliveries.map((d) => d.recipientId)).not.toContain(sub.recipientId);
  });

  it('a member unsubscribes a list; what was planned for it is CANCELLED when due, with the reason', async () => {
    const list = (await subscribers()).find((s) => s.address === 'billing-team@example.com')!;
    await app.admin('mutation { updateSmtpSettings(input: { host: "127.0.0.1", port: 1, security: NONE, authEnabled: false, sender: "Herald <herald@example.com>" }) { configured } }');
    const { eventId } = await publish();
    const gone = await app.gql(UNSUBSCRIBE, { input: { id: list.id } }, ann());
    expect(gone.data?.unsubscribeAddress).toMatchObject({ status: 'UNSUBSCRIBED' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' },
    });
    await eventually(async () =>
      expect((await eventOf(eventId)).deliveries.find((d) => d.recipientId === list.recipientId)).toMatchObject({ status: 'CANCELLED', lastError: 'billing-team@example.com unsubscribed' }),
    );
    expect(sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId).map((m) => m.to[0])).not.toContain('billing-team@example.com');
  });
});
