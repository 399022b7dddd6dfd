import { Role } from '../src/auth/role.enum';
import { ReportPoller } from '../src/bounces/processing/report-poller';
import { BounceRecorder, type Recorded } from '../src/bounces/recording/bounce-recorder';
import { ManualClock } from '../src/clock/manual-clock';
import { readReport } from '../src/bounces/reports/read-report';
import { reportAbout } from './support/bounce-reports';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

/**
 * What a bounce does, once read: the delivery it is about becomes BOUNCED with the
 * report's status, diagnostic and server; its address is suspended at once for an
 * unknown user, after BOUNCE_SUSPEND_AFTER other hard bounces in the window, never
 * for soft ones; the person (me) and the admins (suspendedAddresses) see it; an
 * admin lifts it, and so does the person changing their email. A suspended
 * address gets no mail (CANCELLED with the reason) but, after the cooldown, one
 * mail that tries it again. The reports here are the fixtures, handed to the
 * recorder as the mailbox reader does (test/bounces.e2e-spec.ts reads them from a
 * real IMAP server). The app runs on a ManualClock, moved over the cooldown.
 */
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';
const DELIVERIES = `query($id: ID) { deliveries(filter: { recipientId: $id }, first: 50) { edges { node {
  id eventId status messageId lastError bounce { status hard diagnosticCode reportingMta at } } } } }`;
const ME = '{ me { email emailSuspension { address reason status diagnosticCode reportingMta suspendedAt retryAt retryDeliveryId } } }';
const SUSPENDED = '{ suspendedAddresses { totalCount edges { node { address reason status } } } }';
let seq = 0;

describe(`bounces: BOUNCED deliveries and suspended addresses (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));

  /** Publishes an event of Billing: each of its managers gets a mail (or a CANCELLED delivery). */
  async function publish(application = 'billing'): Promise<string> {
    const eventId = `bounce-${process.pid}-${++seq}`;
    const res = await app.gql(
      PUBLISH,
      {
        input: {
          schemaVersion: 1, id: eventId, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:10:00Z',
          application: { id: application, name: application }, job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' },
          error: { message: 'Out of memory' },
        },
      },
      app.token(Role.SERVICE, 'console'),
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return eventId;
  }

  /** The delivery of an event to `person`, once it is no longer on its way. */
  async function deliveryOfEvent(person: string, eventId: string): Promise<any> {
    return eventually(async () => {
      const d = (await app.admin(DELIVERIES, { id: person })).deliveries.edges.map((e: any) => e.node).find((n: any) => n.eventId === eventId);
      expect(['SENT', 'CANCELLED', 'FAILED']).toContain(d?.status);
      return d;
    });
  }

  /** Publishes an event and answers the Message-ID of the mail `person` got. */
  async function mailTo(person: string, application?: string): Promise<{ id: string; messageId: string }> {
    const eventId = await publish(application);
    return eventually(async () => {
      const { deliveries } = await app.admin(DELIVERIES, { id: person });
      const sent = deliveries.edges.map((e: any) => e.node).find((d: any) => d.status === 'SENT' && sink.received.some((m) => m.parsed.messageId === d.messageId && m.parsed.headers.get('x-herald-event-id') === eventId));
      expect(sent).toBeDefined();
      return { id: sent.id, messageId: sent.messageId };
    });
  }

  /** Records a fixture's report about a mail, naming `person`'s address (absent: the address the fixture names). */
  async function bounce(fixture: string, messageId: string, person?: string): Promise<Recorded> {
    const reading = await readReport(reportAbout(fixture, messageId, person && (person.includes('@') ? person : `${person}@example.com`)));
    if (reading.kind !== 'BOUNCE') throw new Error(`${fixture}: ${JSON.stringify(reading)}`);
    return app.app.get(BounceRecorder).record(reading);
  }

  const delivery = async (person: string, id: string) => (await app.admin(DELIVERIES, { id: person })).deliveries.edges.map((e: any) => e.node).find((d: any) => d.id === id);
  const me = async (person: string) => (await app.gql(ME, {}, app.token(Role.USER, person))).data.me;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ MAIL_CAP_COUNT: '0', BOUNCE_SUSPEND_AFTER: '3', BOUNCE_WINDOW: '1h', BOUNCE_COOLDOWN: '2h', BOUNCE_RETRY_WAIT: '10m' }, undefined, { clock });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }, { id: 'dave' }, { id: 'erin' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('an unknown user (5.1.1): the delivery is BOUNCED with what the report said, the address suspended at once, shown to the person and the admins', async () => {
    const mail = await mailTo('alice');
    expect(await bounce('postfix-remote-unknown-user.eml', mail.messageId, 'alice')).toMatchObject({ outcome: 'BOUNCED', verdict: 'SUSPENDED', address: 'alice@example.com' });

    const d = await delivery('alice', mail.id);
    expect(d.status).toBe('BOUNCED');
    expect(d.bounce).toMatchObject({
      status: '5.1.1',
      hard: true,
      diagnosticCode: '550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
      reportingMta: 'mx.herald.test',
    });
    expect(d.lastError).toBe('bounced (hard) 5.1.1: 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table, reported by mx.herald.test');

    const own = (await me('alice')).emailSuspension;
    expect(own).toMatchObject({ address: 'alice@example.com', status: '5.1.1', reportingMta: 'mx.herald.test', retryDeliveryId: null });
    expect(own.reason).toBe('5.1.1 unknown user (550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table), reported by mx.herald.test');
    // One mail tries it again after the cooldown (BOUNCE_COOLDOWN: 7 days by default, 2 hours here).
    expect(new Date(own.retryAt).getTime() - new Date(own.suspendedAt).getTime()).toBe(2 * 3_600_000);

    const { suspendedAddresses } = await app.admin(SUSPENDED);
    expect(suspendedAddresses.edges.map((e: any) => e.node)).toContainEqual({ address: 'alice@example.com', reason: own.reason, status: '5.1.1' });
    const found = await app.admin('{ suspendedAddresses(search: "ALICE@") { totalCount edges { node { address } } } }');
    expect(found.suspendedAddresses).toEqual({ totalCount: 1, edges: [{ node: { address: 'alice@example.com' } }] });
    // Another person's address is not theirs to see suspended.
    expect((await me('bob')).emailSuspension).toBeNull();
  });

  it('a suspended address gets no mail: its next deliveries are CANCELLED with the reason, the others go', async () => {
    const eventId = await publish();
    const cancelled = await deliveryOfEvent('alice', eventId);
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      messageId: null,
      lastError: 'address suspended after bounces (5.1.1 unknown user (550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in virtual mailbox table), reported by mx.herald.test)',
    });
    expect((await deliveryOfEvent('bob', eventId)).status).toBe('SENT');
    expect(sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId).map((m) => m.to[0]).sort()).toEqual(
      ['bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'],
    );
  });

  it('an address with letters beyond ASCII is suspended however it is capitalised: no mail goes to it on any database', async () => {
    await seedApplication(app, { id: 'istanbul', name: 'Istanbul' }, [{ id: 'unal', email: 'Ünal@example.com' }, { id: 'ozan', email: 'ÖZAN@example.com' }]);
    const mail = await mailTo('unal', 'istanbul');
    expect(await bounce('postfix-remote-unknown-user.eml', mail.messageId, 'ünal@example.com')).toMatchObject({ outcome: 'BOUNCED', verdict: 'SUSPENDED' });
    expect((await me('unal')).emailSuspension).toMatchObject({ address: 'ünal@example.com' });
    // Ozan's address suspended as a report writes it, in other letters than his profile's.
    const his = await mailTo('ozan', 'istanbul');
    expect(await bounce('postfix-remote-unknown-user.eml', his.messageId, 'Özan@example.com')).toMatchObject({ outcome: 'BOUNCED', verdict: 'SUSPENDED' });
    expect((await me('ozan')).emailSuspension).toMatchObject({ address: 'özan@example.com' });

    const eventId = await publish('istanbul');
    for (const person of ['unal', 'ozan']) expect(await deliveryOfEvent(person, eventId)).toMatchObject({ status: 'CANCELLED', messageId: null, lastError: expect.stringMatching(/^address suspended after bounces \(5\.1\.1 unknown user/) });
    expect(sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId)).toEqual([]);
  });

  it('the same report read twice (or a second report of the mail) counts once', async () => {
    const mail = await mailTo('bob');
    expect(await bounce('postfix-mailbox-full.eml', mail.messageId, 'bob')).toMatchObject({ outcome: 'BOUNCED', verdict: 'COUNTED' });
    expect(await bounce('postfix-mailbox-full.eml', mail.messageId, 'bob')).toEqual({ outcome: 'ALREADY_RECORDED', deliveryId: Number(mail.id) });
    expect(await bounce('postfix-mailbox-full.eml', mail.messageId, 'bob')).toEqual({ outcome: 'ALREADY_RECORDED', deliveryId: Number(mail.id) });
    expect((await me('bob')).emailSuspension).toBeNull(); // one hard bounce of 3
  });

  it('other hard bounces suspend after BOUNCE_SUSPEND_AFTER in the window; soft ones (4.x.x) never', async () => {
    for (let i = 1; i <= 2; i++) {
      const mail = await mailTo('carol');
      expect(await bounce('postfix-mailbox-full.eml', mail.messageId, 'carol')).toMatchObject({ outcome: 'BOUNCED', verdict: 'COUNTED' });
    }
    for (let i = 1; i <= 4; i++) {
      const mail = await mailTo('carol');
      expect(await bounce('postfix-expired-soft.eml', mail.messageId, 'carol')).toMatchObject({ outcome: 'BOUNCED', verdict: 'NOTED', recipient: { status: '4.4.1', bounceClass: 'SOFT' } });
      expect((await delivery('carol', mail.id)).bounce).toMatchObject({ status: '4.4.1', hard: false });
    }
    expect((await me('carol')).emailSuspension).toBeNull();
    const third = await mailTo('carol');
    expect(await bounce('postfix-mailbox-full.eml', third.messageId, 'carol')).toMatchObject({ outcome: 'BOUNCED', verdict: 'SUSPENDED' });
    expect((await me('carol')).emailSuspension.reason).toBe(
      '3 hard bounces within 1h, the last 5.2.2 (552 5.2.2 <carol@example.com>: Mailbox full, quota exceeded), reported by mx.herald.test',
    );
  });

  it('reports of Exchange Online and Gmail suspend the same way; a report about a mail Herald never sent changes nothing', async () => {
    const exchange = await mailTo('dave');
    expect(await bounce('exchange-online-unknown-recipient.eml', exchange.messageId, 'dave')).toMatchObject({ outcome: 'BOUNCED', verdict: 'SUSPENDED' });
    expect((await delivery('dave', exchange.id)).bounce).toMatchObject({ status: '5.1.10', reportingMta: 'DB9PR04MB8123.eurprd04.prod.outlook.com' });
    const unknown = `<herald.0000000000000000.999999@example.com>`;
    expect(await bounce('gmail-address-not-found.eml', unknown)).toEqual({ outcome: 'UNKNOWN_MESSAGE' });
    expect(await bounce('gmail-address-not-found.eml', '<CAH3nr7w1z@mail.gmail.com>')).toEqual({ outcome: 'NOT_HERALDS' });
  });

  it("a report about a mail that names only another address (a member of the list it went to, a forward's target) bounces nothing and suspends nobody", async () => {
    // Bob's address is a list: its member bob.former@contoso.com is gone (5.1.10), the others got the mail.
    const mail = await mailTo('bob');
    expect(await bounce('exchange-online-unknown-recipient.eml', mail.messageId)).toEqual({ outcome: 'OTHER_RECIPIENT', deliveryId: Number(mail.id) });
    expect((await delivery('bob', mail.id)).status).toBe('SENT');
    expect((await me('bob')).emailSuspension).toBeNull();
    expect((await app.admin(SUSPENDED)).suspendedAddresses.edges.map((e: any) => e.node.address)).not.toContain('bob@example.com');
  });

  it('an admin lifts a suspension (an audit entry); a USER may not; an address not suspended is NOT_FOUND', async () => {
    const mail = await mailTo('erin');
    await bounce('gmail-address-not-found.eml', mail.messageId, 'erin');
    expect((await me('erin')).emailSuspension).not.toBeNull();

    const refused = await app.gql('mutation { liftAddressSuspension(address: "erin@example.com") { address } }', {}, app.token(Role.USER, 'erin'));
    expect(refused.errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect((await me('erin')).emailSuspension).not.toBeNull();

    const lifted = await app.admin('mutation { liftAddressSuspension(address: "Erin@Example.com") { address status } }');
    expect(lifted.liftAddressSuspension).toEqual({ address: 'erin@example.com', status: '5.1.1' });
    expect((await me('erin')).emailSuspension).toBeNull();
    const again = await app.gql('mutation { liftAddressSuspension(address: "erin@example.com") { address } }', {}, app.token(Role.ADMIN, 'admin'));
    expect(again.errors?.[0]).toMatchObject({ message: 'A suspension of erin@example.com does not exist', extensions: { code: 'NOT_FOUND' } });

    const { auditLog } = await app.admin('{ auditLog(filter: { kind: ADDRESS_SUSPENSION }) { edges { node { target actorId fields { field before after } } } } }');
    expect(auditLog.edges.map((e: any) => e.node)).toEqual([{ target: 'erin@example.com', actorId: 'admin', fields: [{ field: 'suspended', before: 'true', after: 'false' }] }]);
  });

  it('changing one\'s email lifts the suspension (the old address is nobody\'s now)', async () => {
    expect((await me('alice')).emailSuspension).not.toBeNull();
    const changed = await app.gql('mutation { updateMyProfile(input: { email: "alice@new.example.com" }) { email emailSuspension { address } } }', {}, app.token(Role.USER, 'alice'));
    expect(changed.data.updateMyProfile).toEqual({ email: 'alice@new.example.com', emailSuspension: null });
    const { suspendedAddresses } = await app.admin(SUSPENDED);
    expect(suspendedAddresses.edges.map((e: any) => e.node.address)).not.toContain('alice@example.com');
  });

  it('after the cooldown one mail tries the address again: bounced, another cooldown; not bounced within BOUNCE_RETRY_WAIT, the address is taken back', async () => {
    const own = async () => (await me('dave')).emailSuspension;
    expect(await own()).toMatchObject({ status: '5.1.10', retryDeliveryId: null });
    const retryAt = new Date((await own()).retryAt).getTime();
    clock.advance(retryAt - clock.now() - 1000);
    expect((await deliveryOfEvent('dave', await publish())).status).toBe('CANCELLED'); // a second early

    clock.advance(1000);
    const first = await deliveryOfEvent('dave', await publish());
    expect(first.status).toBe('SENT'); // the one mail that tries it again
    expect((await own()).retryDeliveryId).toBe(first.id);
    expect((await deliveryOfEvent('dave', await publish())).status).toBe('CANCELLED'); // one mail, not two

    // It bounces too: suspended again for a cooldown from now.
    expect(await bounce('exchange-online-unknown-recipient.eml', first.messageId, 'dave')).toMatchObject({ outcome: 'BOUNCED', verdict: 'RENEWED' });
    expect(await own()).toMatchObject({ retryDeliveryId: null, retryAt: new Date(clock.now() + 2 * 3_600_000).toISOString() });

    clock.advance(2 * 3_600_000);
    const second = await deliveryOfEvent('dave', await publish());
    expect(second.status).toBe('SENT');
    // No report comes: BOUNCE_RETRY_WAIT (10 minutes) later the reader takes the address back.
    clock.advance(600_000 - 1000);
    await app.app.get(ReportPoller).tick();
    expect((await own())?.retryDeliveryId).toBe(second.id);
    clock.advance(60_000); // the next poll (every 60 s by default) settles it
    await eventually(async () => {
      await app.app.get(ReportPoller).tick();
      expect(await own()).toBeNull();
    });
    expect((await deliveryOfEvent('dave', await publish())).status).toBe('SENT');
  });
});
