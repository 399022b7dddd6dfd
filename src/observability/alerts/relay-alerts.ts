import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { QUEUE_STATS, type QueueStats } from '../../channels/queue-stats.port';
import { Clock, type Timer } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { type AlertRelay, type RelayFailure, RelayState, RelayStateChangedEvent } from '../../smtp/smtp-gateway';
import { SmtpGateway } from '../../smtp/smtp-gateway';
import { RelayHealth } from '../../smtp/relay-health/relay-health';
import { UsersService } from '../../users/users.service';
import { AlertWebhook, type RelayAlert } from './alert-webhook';
/** After the relay is back, how often the summary looks whether the mails that waited have gone out, and for how long at most. */
const DRAIN_POLL_MS = 1_000;
const DRAIN_MAX_MS = 15 * 60_000;

interface Outage {
  since: Date;
  failure: RelayFailure | null;
  /** The most deliveries seen waiting for the relay during the outage. */
  waiting: number;
  /** Until ALERT_AFTER_MS has passed, with a fallback relay: then the admins are told through it. */
  timer?: Timer;
  /** When the admins were told through the fallback relay during the outage. */
  toldAt?: Date;
}

/**
 * Someone is told when mail stops. The webhook (ALERT_WEBHOOK_URL) hears at once
 * when the circuit opens and when it closes. The admins (people whose last token had
 * the ADMIN role, with an email) are told of an outage longer than ALERT_AFTER_MS:
 * - with a fallback relay (ALERT_SMTP_URL), while it lasts: once it has lasted
 *   ALERT_AFTER_MS, one mail through the fallback — down since when, at which step
 *   and with which reply, how many mails wait;
 * - when it is over: one summary mail through the relay itself (the fallback if that
 *   send fails), once the mails that waited have gone out — when it broke, at which
 *   step and with which reply, how many mails waited, that they are sent.
 * The process that opened the circuit tells (other processes hear of the outage too,
 * as `byThisProcess: false`, and leave it to that one); its outage ends when the circuit
 * closes, whichever process's probe closed it.
 */
@Injectable()
export class RelayAlerts implements OnModuleDestroy {
  private readonly logger = new Logger('Alerts');
  private outage?: Outage;
  private stopping = false;
  private readonly summaries = new Set<Promise<void>>();

  constructor(
    private readonly config: HeraldConfig,
    private readonly webhook: AlertWebhook,
    private readonly smtp: SmtpGateway,
    private readonly relayHealth: RelayHealth,
    private readonly users: UsersService,
    @Inject(QUEUE_STATS) private readonly queue: QueueStats,
    private readonly clock: Clock,
  ) {}

  @OnEvent(RelayStateChangedEvent.NAME, { async: true })
  async onRelayState(event: RelayStateChangedEvent): Promise<void> {
    if (event.state === RelayState.DOWN) {
      if (!event.byThisProcess) return;
      if (this.outage) {
        this.outage.failure = event.lastFailure ?? this.outage.failure;
        this.outage.waiting = Math.max(this.outage.waiting, event.waiting);
        return;
      }
      const outage: Outage = { since: event.since, failure: event.lastFailure, waiting: event.waiting };
      this.outage = outage;
      const fallback = this.smtp.alertRelay();
      if (fallback) {
        const delayMs = Math.max(0, event.since.getTime() + this.config.alerts.afterMs - this.clock.now());
        outage.timer = this.clock.every(delayMs, () => {
          outage.timer?.cancel();
          outage.timer = undefined;
          if (this.outage === outage && !this.stopping) this.track(this.tellDuringOutage(outage, fallback));
        });
      }
      return this.webhook.post(alertOf('relay.down', event));
    }
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    outage.timer?.cancel();
    outage.waiting = Math.max(outage.waiting, event.waiting);
    const downForMs = event.since.getTime() - outage.since.getTime();
    await this.webhook.post({ ...alertOf('relay.up', event), lastFailure: failureOf(outage.failure), downForSeconds: Math.round(downForMs / 1000) });
    if (event.state === RelayState.NOT_CONFIGURED || downForMs < this.config.alerts.afterMs) return;
    this.track(this.summarize(outage, event.since));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.outage?.timer?.cancel();
    await Promise.all(this.summaries);
  }

  /** Keeps a mail being sent, so that shutdown waits for it. */
  private track(sending: Promise<void>): void {
    const tracked = sending.finally(() => this.summaries.delete(tracked));
    this.summaries.add(tracked);
  }

  /** The relay has been down ALERT_AFTER_MS and still is: tells each admin through the fallback relay. Never rejects. */
  private async tellDuringOutage(outage: Outage, fallback: AlertRelay): Promise<void> {
    try {
      // Another process's probe may have found the relay back before this process's next sweep hears of it.
      if ((await this.relayHealth.status()).state !== RelayState.DOWN) return;
      const admins = await this.users.adminsWithEmail();
      if (!admins.length) return this.logger.warn('the relay is down, but no admin with an email address is known to tell');
      const waiting = (await this.queue.queued()).reduce((sum, q) => sum + q.count, 0);
      outage.waiting = Math.max(outage.waiting, waiting);
      const relay = await this.smtp.relay();
      const mail = outageMailOf(outage, this.clock.date(), waiting, relay ? `${relay.settings.host}:${relay.settings.port}` : 'the relay', fallback.name);
      let told = 0;
      for (const admin of admins) {
        await fallback
          .send({ to: admin.email, subject: mail.subject, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' }, date: this.clock.date() })
          .then(() => told++)
          .catch((error: Error) => this.logger.warn(`the outage mail to an admin could not be sent through the fallback relay ${fallback.name}: ${error.message.split('\n')[0]}`));
      }
      if (told) {
        outage.toldAt = this.clock.date();
        this.logger.log(`the relay is down: outage mail sent to ${told} admin(s) through the fallback relay ${fallback.name}`);
      }
    } catch (error) {
      this.logger.error(`could not send the outage mail through the fallback relay: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /** Waits (bounded) for the mails that waited to go out, then mails each admin. Never rejects. */
  private async summarize(outage: Outage, backAt: Date): Promise<void> {
    try {
      const stillQueued = await this.drained(backAt);
      if (this.stopping) return;
      const admins = await this.users.adminsWithEmail();
      if (!admins.length) return this.logger.warn('the relay was down, but no admin with an email address is known to tell');
      const relay = await this.smtp.relay();
      if (!relay) return;
      const mail = summaryOf(outage, backAt, stillQueued, `${relay.settings.host}:${relay.settings.port}`);
      const fallback = this.smtp.alertRelay();
      for (const admin of admins) {
        const message = { to: admin.email, subject: mail.subject, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' }, date: this.clock.date() };
        await relay
          .send(message)
          .catch((error: Error) => {
            if (!fallback) throw error;
            return fallback.send(message); // the relay failed again: the fallback carries it
          })
          .catch((error: Error) => this.logger.warn(`the outage summary to an admin could not be sent: ${error.message.split('\n')[0]}`));
      }
      this.logger.log(`outage summary sent to ${admins.length} admin(s)`);
    } catch (error) {
      this.logger.error(`could not send the outage summary: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /** How many mails written before the relay came back are still not SENT or FAILED, once none are or the wait ends. */
  private async drained(backAt: Date): Promise<number> {
    const until = this.clock.now() + DRAIN_MAX_MS;
    for (;;) {
      const queued = await this.queue.queuedWrittenBy(backAt);
      if (!queued || this.stopping || this.clock.now() >= until) return queued;
      await this.clock.sleep(DRAIN_POLL_MS);
    }
  }
}

function failureOf(failure: RelayFailure | null): RelayAlert['lastFailure'] {
  return failure && { step: failure.step, reply: failure.reply, description: failure.description, at: failure.at.toISOString() };
}

function alertOf(name: RelayAlert['event'], event: RelayStateChangedEvent): RelayAlert {
  return {
    event: name,
    state: event.state,
    previous: event.previous,
    since: event.since.toISOString(),
    lastFailure: failureOf(event.lastFailure),
    waiting: event.waiting,
  };
}

/** Why the relay stopped: the step, the reply, what happened. */
function whyOf(failure: RelayFailure | null): string {
  return failure ? `at the ${failure.step} step${failure.reply ? `, replying "${failure.reply}"` : ''} (${failure.description})` : '(no failure recorded)';
}

/** The mail sent through the fallback relay while the relay is down: its subject and text. */
export function outageMailOf(outage: Outage, now: Date, waiting: number, relay: string, fallback: string): { subject: string; text: string } {
  const waits = waiting === 1 ? '1 mail is waiting for it' : `${waiting} mails are waiting for it`;
  return {
    subject: `Herald: the mail relay ${relay} is down since ${duration(now.getTime() - outage.since.getTime())}`,
    text:
      `The mail relay ${relay} stopped taking mail at ${outage.since.toISOString()}, ${whyOf(outage.failure)}.\n` +
      `It is still down: Herald probes it with backoff and sends as soon as it works again.\n\n` +
      `${waits}: none is lost, no attempt is spent while they wait. A summary follows once they have gone out.\n\n` +
      `This mail was sent through the fallback relay ${fallback} (ALERT_SMTP_URL).\n`,
  };
}

/** The summary mail's subject and text. */
export function summaryOf(outage: Outage, backAt: Date, stillQueued: number, relay: string): { subject: string; text: string } {
  const why = whyOf(outage.failure);
  const told = outage.toldAt ? `\nThe admins were told of it at ${outage.toldAt.toISOString()} through the fallback relay.\n` : '';
  const waited = outage.waiting === 1 ? '1 mail waited' : `${outage.waiting} mails waited`;
  const gone = stillQueued ? `${stillQueued} of the mails written before it came back are still queued (see the delivery log).` : 'They have now gone out: none was lost, no attempt was spent on the outage.';
  return {
    subject: `Herald: the mail relay was down for ${duration(backAt.getTime() - outage.since.getTime())}; it works again`,
    text:
      `The mail relay ${relay} stopped taking mail at ${outage.since.toISOString()}, ${why}.\n` +
      `It works again since ${backAt.toISOString()}.\n\n` +
      `${waited} for it meanwhile. ${gone}\n${told}`,
  };
}

/** 42 s, 12 min, 3 h 05 min. */
function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
