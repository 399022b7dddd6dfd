import { DataSource } from 'typeorm';
import { JobEventType } from '@herald/contracts';
import { JwtSecret } from '../auth/jwt-secret';
import type { ChannelDelivery, DispatchContext } from '../channels/delivery-channel.port';
import { ManualClock } from '../clock/manual-clock';
import { HeraldConfig } from '../config/herald-config';
import { validateEnvironment } from '../config/validate-environment';
import { DatabaseHealth } from '../database/database-health';
import { Transactions } from '../database/transactions';
import { PreferenceLinks } from '../notifications/preference-links/preference-links';
import { MailRenderer } from '../notifications/rendering/mail-renderer';
import { AuditEntryEntity } from '../settings/audit-log/audit-entry.entity';
import { AuditLog } from '../settings/audit-log/audit-log.service';
import { MailDefaultsService } from '../settings/mail-defaults/mail-defaults.service';
import { PropertyEntity } from '../settings/property.entity';
import { EmailChannel } from './email-channel';
import type { EncodedMail, MailHold, MailRoute, MailTransport, TransportFailure } from './mail-transport.port';
import { MessageComposer } from './message-composer';

/**
 * A mail transport written for the test (the port's double): it answers each send
 * as the test scripts it and records what the channel told its health.
 */
class ScriptedTransport implements MailTransport {
  readonly name = 'scripted';
  /** The checks are not the channel's business: never asked here. */
  verify = (): never => {
    throw new Error('not in this test');
  };
  sendTest = (): never => {
    throw new Error('not in this test');
  };
  route_?: MailRoute = { name: 'relay.example.com:587', sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' };
  hold?: MailHold;
  quota?: MailHold;
  /** What the next send does: a reply, or a failure thrown (classified as `failure`). */
  next: { reply: string } | { failure: TransportFailure } = { reply: '250 2.0.0 OK' };
  readonly sent: EncodedMail[] = [];
  readonly told: string[] = [];
  workedAt: Date | null = null;

  async isConfigured() {
    return !!this.route_;
  }
  async refresh() {}
  holding() {
    return this.hold;
  }
  async route() {
    return this.route_;
  }
  async reserve() {
    return this.quota;
  }
  async send(_route: MailRoute, mail: EncodedMail) {
    this.sent.push(mail);
    if ('failure' in this.next) throw this.next.failure;
    return this.next.reply;
  }
  classify(error: unknown) {
    return error as TransportFailure;
  }
  async succeeded() {
    this.told.push('succeeded');
  }
  async failed(failure: TransportFailure) {
    this.told.push(`failed ${failure.step}`);
    if (this.told.filter((t) => t.startsWith('failed')).length >= 3) this.hold = { reason: 'waiting: the relay is down' };
  }
  async throttled(failure: TransportFailure) {
    this.told.push(`throttled ${failure.reply}`);
    return (this.hold = { reason: 'paced: slow down', until: new Date(Date.UTC(2026, 0, 5, 9, 1)) });
  }
  lastWorkedAt() {
    return this.workedAt;
  }
}

const event = { schemaVersion: 1, id: 'e1', type: JobEventType.JOB_FAILED, occurredAt: '2026-11-24T09:42:30Z', application: { id: 'app-1', name: 'Billing' }, job: { id: 'job-7', kind: 'analysis' }, error: { message: 'Out of memory' } };
const delivery = (id: number, channelFailures = 0): ChannelDelivery => ({
  id, recipientId: `r${id}`, channel: 'email', address: `r${id}@example.com`, recipientName: null, recipientLocale: null, recipientTimeZone: null,
  eventId: 'e1', eventType: 'JOB_FAILED', applicationId: 'app-1', kind: 'EVENT',
  attempts: 0, channelFailures, leaseExpiresAt: Date.UTC(2026, 0, 5, 10), createdAt: Date.UTC(2026, 0, 5, 9),
});
const failure = (f: Partial<TransportFailure>): { failure: TransportFailure } => ({
  failure: { scope: 'transport', transient: true, step: 'CONNECT', reply: null, description: 'ECONNREFUSED', ...f },
});

/** The email channel over a scripted transport: how each outcome of a send is classified for the dispatcher. */
describe('EmailChannel: outcomes, through its MailTransport', () => {
  let dataSource: DataSource;
  let transport: ScriptedTransport;
  let channel: EmailChannel;
  let counted: number;
  const context: DispatchContext = {
    payloads: async () => new Map([['e1', JSON.stringify(event)]]),
    eventsOf: async () => [],
    windowOf: async () => ({ start: new Date(), end: new Date() }),
    countFailure: async () => ++counted,
  };

  beforeEach(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [PropertyEntity, AuditEntryEntity], synchronize: true }).initialize();
    const env = { DATA_DIR: '/tmp/herald-unit', RELAY_FAILURES_PER_MESSAGE: '3' };
    const config = new HeraldConfig(validateEnvironment(env), env);
    const clock = new ManualClock();
    const defaults = new MailDefaultsService(dataSource, config, new Transactions(dataSource, new DatabaseHealth(clock)), clock, new AuditLog(dataSource, clock));
    transport = new ScriptedTransport();
    channel = new EmailChannel(transport, new MessageComposer(new MailRenderer(), config, new PreferenceLinks(JwtSecret.load(config), config), defaults, clock, JwtSecret.load(config)), clock, config);
    counted = 0;
  });
  afterEach(() => dataSource.destroy());

  it('sends the composed mail to the address: sent, with its Message-ID and the reply; the transport hears it worked', async () => {
    expect(await channel.send(delivery(1), context)).toEqual({ sent: true, reference: expect.stringMatching(/^<herald\.1\.[0-9a-f]{16}@example\.com>$/), reply: '250 2.0.0 OK', sendMs: 0, sentVia: 'relay.example.com:587' });
    expect(transport.sent.map((m) => m.envelope)).toEqual([{ from: 'herald@example.com', to: ['r1@example.com'] }]);
    expect(transport.told).toEqual(['succeeded']);
  });

  it("passes a recipient's or a message's failure on as it is: the dispatcher retries or gives up", async () => {
    transport.next = failure({ scope: 'recipient', transient: false, step: 'SEND', reply: '550 5.1.1 unknown user', description: 'EENVELOPE' });
    expect(await channel.send(delivery(1), context)).toMatchObject({ sent: false, failure: { scope: 'recipient', transient: false, reply: '550 5.1.1 unknown user', via: 'relay.example.com:587' } });
    transport.next = failure({ scope: 'message', transient: true, step: 'SEND', reply: '452 4.3.1 try later' });
    expect(await channel.send(delivery(2), context)).toMatchObject({ sent: false, failure: { scope: 'message', transient: true, reply: '452 4.3.1 try later' } });
    expect(transport.told).toEqual([]);
  });

  it("makes a failure of the transport as a whole the channel's: alone, this delivery waits; once the transport holds, everything queued does", async () => {
    transport.next = failure({});
    expect(await channel.send(delivery(1), context)).toEqual({
      sent: false,
      failure: { scope: 'channel', description: 'waiting: relay.example.com:587 failed at CONNECT (ECONNREFUSED); tried again at the next sweep, no attempt spent' },
      sendMs: 0,
    });
    await channel.send(delivery(2), context);
    expect(await channel.send(delivery(3), context)).toMatchObject({ sent: false, failure: { scope: 'channel', hold: { reason: 'waiting: the relay is down' } } });
    expect(transport.told).toEqual(['failed CONNECT', 'failed CONNECT', 'failed CONNECT']);
    // Holding now: nothing more is sent.
    transport.sent.length = 0;
    expect(await channel.send(delivery(4), context)).toMatchObject({ sent: false, failure: { scope: 'channel', hold: { reason: 'waiting: the relay is down' } } });
    expect(transport.sent).toEqual([]);
  });

  it('turns a request to slow down into a hold until the pause ends, and a used-up quota too', async () => {
    transport.next = failure({ slowDown: true, step: 'SEND', reply: '450 4.5.127 rate exceeded' });
    expect(await channel.send(delivery(1), context)).toMatchObject({ sent: false, failure: { scope: 'channel', slowDown: true, hold: { reason: 'paced: slow down', until: expect.any(Date) } } });
    expect(transport.told).toEqual(['throttled 450 4.5.127 rate exceeded']);
    transport.hold = undefined;
    transport.quota = { reason: 'paced: relay quota 30 messages a minute', until: new Date() };
    expect(await channel.send(delivery(2), context)).toMatchObject({ sent: false, failure: { scope: 'channel', hold: transport.quota } });
  });

  it('counts a session lost while sending this message against it; from RELAY_FAILURES_PER_MESSAGE on, it is the message\'s failure', async () => {
    transport.next = failure({ whileSending: true, step: 'SEND', description: 'ECONNECTION: connection lost' });
    transport.workedAt = new Date();
    expect(await channel.send(delivery(1), context)).toMatchObject({ failure: { scope: 'channel' } });
    expect(await channel.send(delivery(1), context)).toMatchObject({ failure: { scope: 'channel' } });
    expect(await channel.send(delivery(1), context)).toMatchObject({
      failure: { scope: 'message', transient: true, description: expect.stringMatching(/^the relay lost the session while sending this message 3 times, .* \(SEND: ECONNECTION: connection lost\)$/) },
    });
    expect(transport.told).toEqual(['failed SEND', 'failed SEND']); // the third was the message's, not the relay's
  });

  it('without settings, holds as not configured (reported), and a delivery that comes anyway waits alone', async () => {
    transport.route_ = undefined;
    await channel.refresh();
    expect(channel.holding()).toEqual({ reason: 'waiting: SMTP is not configured (set host and sender with updateSmtpSettings)', unconfigured: true });
    expect(await channel.check()).toEqual(channel.holding());
    expect(await channel.send(delivery(1), context)).toEqual({ sent: false, failure: { scope: 'channel', description: 'waiting: SMTP is not configured (set host and sender with updateSmtpSettings)' } });
  });

  it('reaches a person at their email address, and nobody without one', () => {
    expect(channel.addressOf({ externalId: 'ann', email: 'ann@example.com', displayName: 'Ann' })).toBe('ann@example.com');
    expect(channel.addressOf({ externalId: 'bob', email: null, displayName: null })).toBeNull();
  });
});
