import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type Addressee,
  type ChannelAttempt,
  type ChannelDelivery,
  type ChannelFailure,
  type ChannelHold,
  type DeliveryChannel,
  DeliveryChannelProvider,
  type DispatchContext,
} from '../channels/delivery-channel.port';
import { Clock } from '../clock/clock';
import { HeraldConfig } from '../config/herald-config';
import { MAIL_TRANSPORT, type MailHold, type MailTransport, type TransportFailure } from './mail-transport.port';
import { MessageComposer } from './message-composer';
import { SenderRefusals } from './sender-refusals';

/** How long temporary refusals of the sender (MAIL FROM) are remembered to tell the relay's state from a message's. */
const SENDER_REFUSALS_WINDOW_MS = 60_000;
/** Mails in flight per connection of the relay (the dispatcher's workers: concurrency()). At 100 recipients an event, a pool of 20 fed by 80 sent 1.4× what it did fed by 20 (docs/benchmarks.md). */
const MAILS_PER_CONNECTION = 4;

const NOT_CONFIGURED: ChannelHold = { reason: 'waiting: SMTP is not configured (set host and sender with updateSmtpSettings)', unconfigured: true };

/**
 * Email: one mail per delivery to the person's address, composed by the
 * MessageComposer (rendered and encoded once per event and reader) and carried by
 * the mail transport (MAIL_TRANSPORT: the primary relay, or the standby relay while
 * the primary is down; each sent delivery records which: `sentVia`). Only a failure of one
 * message or recipient spends an attempt; a failure of the transport as a whole
 * makes the delivery wait and goes to the transport's health, which holds every
 * mail while its circuit is open or it is paced (by its quota or a "slow down").
 * A session lost while sending one message again and again while the transport
 * works for others becomes that message's failure (RELAY_FAILURES_PER_MESSAGE).
 */
@DeliveryChannelProvider()
@Injectable()
export class EmailChannel implements DeliveryChannel {
  readonly name = 'email';
  private readonly logger = new Logger('EmailChannel');
  /** The settings name a relay (kept up to date by refresh). */
  private configured = false;
  /** The connections of the route mail last took (refresh, send): what concurrency() keeps busy. */
  private connections = 0;
  /** The same temporary reply to MAIL FROM for several messages: the relay's state. */
  private readonly senderRefusals: SenderRefusals;

  constructor(
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    private readonly composer: MessageComposer,
    private readonly clock: Clock,
    private readonly config: HeraldConfig,
  ) {
    this.senderRefusals = new SenderRefusals(config.relay.circuitThreshold, SENDER_REFUSALS_WINDOW_MS);
  }

  addressOf(person: Addressee): string | null {
    return person.email;
  }

  async refresh(): Promise<void> {
    this.configured = await this.transport.isConfigured();
    if (!this.configured) return;
    await this.transport.refresh();
    const route = await this.transport.route();
    this.connections = route ? (route.connections ?? 1) : 0;
  }

  /** Four mails per connection: one sending, the next ones composed and waiting for it. */
  concurrency(): number {
    return MAILS_PER_CONNECTION * this.connections;
  }

  holding(): ChannelHold | undefined {
    return this.configured ? channelHold(this.transport.holding()) : NOT_CONFIGURED;
  }

  async check(): Promise<ChannelHold | undefined> {
    return channelHold(this.transport.holding()) ?? ((await this.transport.isConfigured()) ? undefined : NOT_CONFIGURED);
  }

  held(): void {
    void this.transport.waitingChanged?.();
  }

  /** The batch's events in one query (those handed over are kept as they are). */
  async take(batch: readonly ChannelDelivery[], context: DispatchContext, payloads?: ReadonlyMap<string, string>): Promise<void> {
    if (payloads) for (const [eventId, payload] of payloads) this.composer.remember(eventId, payload);
    else await this.composer.preload(batch, context);
  }

  async send(d: ChannelDelivery, context: DispatchContext): Promise<ChannelAttempt> {
    let via = 'the relay';
    let sendStart: number | undefined;
    let failure: ChannelFailure;
    try {
      const route = await this.transport.route();
      if (!route) return { sent: false, failure: { scope: 'channel', description: NOT_CONFIGURED.reason } };
      this.connections = route.connections ?? 1;
      via = this.transport.sentVia?.(route) ?? route.name; // `standby: host:port` while the standby relay carries the mail
      const hold = channelHold(this.transport.holding() ?? (await this.transport.reserve(route)));
      if (hold) return { sent: false, failure: { scope: 'channel', description: hold.reason, hold } };
      const mail = await this.composer.compose(d, route, context);
      sendStart = this.clock.now();
      const reply = await this.transport.send(route, { envelope: mail.envelope, raw: mail.raw, body: mail.body });
      this.senderRefusals.accepted();
      await this.transport.succeeded(route).catch((e: Error) => this.logger.warn(`could not record the relay's success: ${e.message}`));
      return { sent: true, reference: mail.messageId, reply, sendMs: this.clock.now() - sendStart, sentVia: via, ...(mail.note && { note: mail.note }) };
    } catch (error) {
      // Before the send (composing the mail, the quota's database): this delivery's attempt, not the transport's failure.
      failure =
        sendStart === undefined
          ? { scope: 'message', transient: true, reply: null, description: (error as Error).message, via }
          : await this.failed(d, context, this.transport.classify(error), via, sendStart);
    }
    return { sent: false, failure, sendMs: sendStart === undefined ? undefined : this.clock.now() - sendStart };
  }

  private async failed(d: ChannelDelivery, context: DispatchContext, failure: TransportFailure, via: string, sentAt: number): Promise<ChannelFailure> {
    const { reply } = failure;
    const text = failure.description;
    const own = await this.ownFailures(d, context, failure);
    if (own !== undefined) {
      const description = `the relay lost the session while sending this message ${own} times, while it took other mails or passed its probes: treated as this message's failure (${failure.step}: ${reply ?? text})`;
      return { scope: 'message', transient: true, reply, description, via };
    }
    const report = (e: Error) => this.logger.error(`could not record the relay's failure: ${e.message}`);
    if (failure.senderRefused && this.senderRefusals.refused(reply, d.id, this.clock.now())) {
      // The same temporary refusal of the sender for several messages: the relay's state, not this
      // message's. Its circuit opens (DOWN, with the reply); the mail waits, nothing spent.
      failure.scope = 'transport';
      failure.opensCircuit = true;
      await this.transport.failed(failure).catch(report);
      const hold = this.transport.holding();
      this.logger.warn(`${via} refuses the sender for now to every message (${reply ?? text}): the relay's state, not the messages'; mails wait`);
      return { scope: 'channel', description: hold?.reason ?? `waiting: ${via} refuses the sender for now (${reply ?? text}); no attempt spent`, ...(hold && { hold }) };
    }
    if (failure.scope !== 'transport') return { scope: failure.scope, transient: failure.transient, reply, description: text, via };
    // Not this mail's fault: every mail would fail alike. Nothing is spent; the transport's
    // health counts it (opening the circuit after a few in a row, a refused credential at once).
    if (failure.slowDown) {
      failure.sentAt = sentAt;
      const hold = await this.transport.throttled(failure).catch((e: Error) => (report(e), { reason: `paced: ${reply ?? text}` }));
      return { scope: 'channel', slowDown: true, description: hold.reason, hold };
    }
    await this.transport.failed(failure).catch(report);
    const hold = this.transport.holding();
    if (hold) return { scope: 'channel', description: hold.reason, hold };
    this.logger.warn(`delivery ${d.id} to ${d.address} via ${via}: the relay failed at ${failure.step} (${reply ?? text}); it waits, no attempt spent`);
    return { scope: 'channel', description: `waiting: ${via} failed at ${failure.step} (${reply ?? text}); tried again at the next sweep, no attempt spent` };
  }

  /**
   * A session lost while sending this very delivery looks transport-wide, but may be
   * this message's doing (a relay that hangs up on it in DATA, every time). Each such
   * loss is counted against the delivery when the transport has worked since its
   * last one (another mail accepted, a probe passed); from RELAY_FAILURES_PER_MESSAGE
   * on they are its own failure: the count, else undefined. A relay down for
   * everyone fails its probes and takes no mail, so beyond a first loss nothing adds
   * up against a message; failures before the session was taken (connect, greeting,
   * TLS, token, AUTH) are never counted against one.
   */
  private async ownFailures(d: ChannelDelivery, context: DispatchContext, failure: TransportFailure): Promise<number | undefined> {
    if (!failure.whileSending) return undefined;
    const count = await context
      .countFailure(d, this.transport.lastWorkedAt(failure))
      .catch((e: Error) => (this.logger.error(`could not count delivery ${d.id}'s relay failure: ${e.message}`), d.channelFailures));
    return count >= this.config.relay.failuresPerMessage ? count : undefined;
  }
}

/** The transport's hold as the channel's: one paced by the day's budget folds what waits (ChannelHold.fold). */
function channelHold(hold: MailHold | undefined): ChannelHold | undefined {
  if (!hold?.dayBudget) return hold;
  const { dayBudget: _, ...rest } = hold;
  return { ...rest, fold: true };
}
