import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThanOrEqual } from 'typeorm';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { DeliveryEntity, DeliveryStatus } from '../../notifications/entities/delivery.entity';
import { type RelayFailure, RelayState, RelayStateChangedEvent } from '../../smtp/smtp-gateway';
import { SmtpGateway } from '../../smtp/smtp-gateway';
import { UsersService } from '../../users/users.service';
import { AlertWebhook, type RelayAlert } from './alert-webhook';

/** Deliveries not yet at a final status. */
const QUEUED = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRY, DeliveryStatus.WAITING];
/** After the relay is back, how often the summary looks whether the mails that waited have gone out, and for how long at most. */
const DRAIN_POLL_MS = 1_000;
const DRAIN_MAX_MS = 15 * 60_000;

interface Outage {
  since: Date;
  failure: RelayFailure | null;
  /** The most deliveries seen waiting for the relay during the outage. */
  waiting: number;
}

/**
 * Someone is told when mail stops. The webhook (ALERT_WEBHOOK_URL) hears at once
 * when the circuit opens and when it closes. The admins (people whose last token had
 * the ADMIN role, with an email) get one summary mail when an outage longer than
 * ALERT_AFTER_MS is over — through the relay itself, so only once it works again,
 * and once the mails that waited have gone out: when it broke, at which step and
 * with which reply, how many mails waited, that they are sent.
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
    private readonly users: UsersService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  @OnEvent(RelayStateChangedEvent.NAME, { async: true })
  async onRelayState(event: RelayStateChangedEvent): Promise<void> {
    if (event.state === RelayState.DOWN) {
      if (this.outage) {
        this.outage.failure = event.lastFailure ?? this.outage.failure;
        this.outage.waiting = Math.max(this.outage.waiting, event.waiting);
        return;
      }
      this.outage = { since: event.since, failure: event.lastFailure, waiting: event.waiting };
      return this.webhook.post(alertOf('relay.down', event));
    }
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    outage.waiting = Math.max(outage.waiting, event.waiting);
    const downForMs = event.since.getTime() - outage.since.getTime();
    await this.webhook.post({ ...alertOf('relay.up', event), lastFailure: failureOf(outage.failure), downForSeconds: Math.round(downForMs / 1000) });
    if (event.state === RelayState.NOT_CONFIGURED || downForMs < this.config.alerts.afterMs) return;
    const summary = this.summarize(outage, event.since).finally(() => this.summaries.delete(summary));
    this.summaries.add(summary);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.summaries);
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
      for (const admin of admins) {
        await relay
          .send({ to: admin.email, subject: mail.subject, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' } })
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
      const queued = await this.dataSource.getRepository(DeliveryEntity).count({ where: { status: In(QUEUED), createdAt: LessThanOrEqual(backAt) } });
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

/** The summary mail's subject and text. */
export function summaryOf(outage: Outage, backAt: Date, stillQueued: number, relay: string): { subject: string; text: string } {
  const failure = outage.failure;
  const why = failure ? `at the ${failure.step} step${failure.reply ? `, replying "${failure.reply}"` : ''} (${failure.description})` : '(no failure recorded)';
  const waited = outage.waiting === 1 ? '1 mail waited' : `${outage.waiting} mails waited`;
  const gone = stillQueued ? `${stillQueued} of the mails written before it came back are still queued (see the delivery log).` : 'They have now gone out: none was lost, no attempt was spent on the outage.';
  return {
    subject: `Herald: the mail relay was down for ${duration(backAt.getTime() - outage.since.getTime())}; it works again`,
    text:
      `The mail relay ${relay} stopped taking mail at ${outage.since.toISOString()}, ${why}.\n` +
      `It works again since ${backAt.toISOString()}.\n\n` +
      `${waited} for it meanwhile. ${gone}\n`,
  };
}

/** 42 s, 12 min, 3 h 05 min. */
function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
