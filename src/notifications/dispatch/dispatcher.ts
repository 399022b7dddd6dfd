import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Clock, type Timer } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { GroupCommit } from '../../database/group-commit';
import { HeraldMetrics } from '../../observability/metrics/herald-metrics';
import { SmtpSettingsChangedEvent } from '../../settings/smtp-settings/smtp-settings-changed.event';
import { RelayHealth, type RelayHold } from '../../smtp/relay-health/relay-health';
import { SmtpCheckStep, type SmtpFailure, SmtpGateway } from '../../smtp/smtp-gateway';
import { DeliveryStatus } from '../entities/delivery.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { type ClaimedDelivery, DeliveryOutbox, type Outcome } from '../outbox/delivery-outbox';
import { type DeliveryTaker, DeliveryTakers } from '../outbox/delivery-takers';
import { MessageComposer } from './message-composer';
import { Readers } from './readers';
import { retryDelayMs } from './retry-policy';

const NOT_CONFIGURED = 'waiting: SMTP is not configured (set host and sender with updateSmtpSettings)';
/**
 * How long an outcome waits for others to be recorded with it. Its worker sends
 * the next mail meanwhile; a crash before the record means the mail is sent
 * again once its claim expires, as a mail in flight would be.
 */
const OUTCOME_LINGER_MS = 3;
/** Backoff of an outcome that could not be written because the database could not write. */
const OUTCOME_RETRY_MIN_MS = 250;
const OUTCOME_RETRY_MAX_MS = 5_000;
/** Deliveries held for want of a relay are reported at most this often (each new event holds more). */
const HELD_REPORT_INTERVAL_MS = 60_000;

/**
 * Sends deliveries. Up to DISPATCH_CONCURRENCY workers share one queue, fed two
 * ways: it offers to take deliveries planned in this process (DeliveryTakers),
 * which are then written claimed by it and handed over as they commit, and one
 * claim at a time brings due ones from the outbox when something may be due there
 * — planned deliveries it was not handed, a settings change, a retry, the periodic
 * sweep (retries that came due, claims abandoned by a process that died). Workers
 * stop when there is nothing to do and come back with the next hand-off, claim or wake. Each delivery ends SENT, RETRY
 * (backoff with jitter) or FAILED; the outcomes of mails that finish together are
 * recorded together. Only a failure of one message or recipient spends an attempt
 * (and a session the relay keeps losing on one message while it works for others):
 * a relay-wide failure, a paced send or a throttling reply puts the delivery back
 * WAITING, and while the relay's health (RelayHealth, shared by every process)
 * says to hold, nothing is sent.
 */
@Injectable()
export class Dispatcher implements DeliveryTaker, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dispatcher');
  /** Who holds a lease: unique per process. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly queue: ClaimedDelivery[] = [];
  private readonly workers = new Set<Promise<void>>();
  private refilling?: Promise<boolean>;
  /** Something may be due in the outbox since the last claim began: claim before the workers stop. */
  private wakeRequested = false;
  /** The settings name a relay (kept up to date on every change). */
  private configured = false;
  private stopping = false;
  private started = false;
  private sweep?: Timer;
  private requeueing?: Promise<void>;
  /** The relay's circuit being reset after a settings change: shutdown waits for it (it writes). */
  private resetting?: Promise<void>;
  private readonly outcomes: GroupCommit<Outcome, void>;
  private held = { count: 0, reportedAt: 0 };
  /**
   * Deliveries being sent, or sent with their outcome not yet written. Their lease
   * may run out meanwhile (a slow relay, a database that cannot write): a claim of
   * this process that takes one of them again does not send it a second time — the
   * outcome, when written, ends it.
   */
  private readonly inHand = new Set<number>();
  /** A wake is planned for the end of the current pacing. */
  private pacedWake?: number;
  /** Hand-offs whose readers are being checked before they join the queue. */
  private readonly checking = new Set<Promise<void>>();

  constructor(
    private readonly config: HeraldConfig,
    private readonly outbox: DeliveryOutbox,
    private readonly composer: MessageComposer,
    private readonly smtp: SmtpGateway,
    private readonly clock: Clock,
    takers: DeliveryTakers,
    private readonly health: RelayHealth,
    private readonly readers: Readers,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {
    takers.offer(this);
    health.countWaitingWith(() => outbox.waiting(), (prefix, reason) => outbox.describeWaiting(prefix, reason));
    this.outcomes = new GroupCommit<Outcome, void>(
      async (outcomes) => {
        await this.outbox.record(outcomes, this.owner);
        return outcomes.map(() => undefined);
      },
      { maxBatch: config.dispatch.batchSize, lingerMs: OUTCOME_LINGER_MS },
    );
  }

  onApplicationBootstrap(): void {
    this.started = true;
    this.sweep = this.clock.every(this.config.dispatch.sweepIntervalMs, () => void this.refresh());
    void this.refresh();
  }

  /** Deliveries became due: those handed to this dispatcher are sent at once; for the others, a claim. */
  @OnEvent(DeliveriesDueEvent.NAME)
  onDue(due: DeliveriesDueEvent): void {
    const handOff = due.handOff;
    if (handOff?.owner !== this.owner) return this.wake();
    if (this.stopping) {
      void this.outbox.release(handOff.deliveries.map((d) => d.id), this.owner).catch(() => undefined);
      return;
    }
    for (const [eventId, payload] of handOff.payloads) this.composer.remember(eventId, payload);
    // Planning chose them a moment ago; checked again all the same, as every batch is before it is sent.
    const check: Promise<void> = this.readers
      .recheck(handOff.deliveries, this.owner)
      .then((send) => {
        this.queue.push(...send);
        this.startWorkers();
      })
      .catch((e: Error) => this.logger.error(`could not check who still receives ${handOff.deliveries.length} deliveries: ${e.message}`))
      .finally(() => this.checking.delete(check));
    this.checking.add(check);
  }

  /**
   * How many new deliveries this process would take straight from planning
   * (claimed as they are written) rather than claim them later: none unless
   * there is a relay to send through, and no more than two claims' worth queued.
   */
  room(): number {
    if (!this.started || this.stopping || !this.configured || this.holding()) return 0;
    return Math.max(0, 2 * this.config.dispatch.batchSize - this.queue.length);
  }

  /** How long the claim lasts that planning writes into deliveries it hands over. */
  get leaseMs(): number {
    return this.config.dispatch.leaseMs;
  }

  /** New settings: deliveries that waited for a relay are due again. */
  @OnEvent(SmtpSettingsChangedEvent.NAME, { async: true })
  async onSettingsChanged(): Promise<void> {
    if (this.stopping) return;
    const previous = this.resetting;
    const resetting: Promise<void> = (async () => {
      await previous;
      await this.health.settingsChanged().catch((e: Error) => this.logger.error(`could not reset the relay's circuit: ${e.message}`));
    })().finally(() => {
      if (this.resetting === resetting) this.resetting = undefined;
    });
    this.resetting = resetting;
    await resetting;
    return this.refresh();
  }

  /**
   * Looks at the settings and the outbox again: at start, on a settings change and
   * at every sweep. With a relay configured, deliveries that waited for one are due
   * again — also any that a claim begun under the old settings held back after the
   * change (the sweep mends that too) — and whatever is due is claimed. The relay's
   * health is read (and the relay probed when due) first: while it holds, they wait.
   */
  private async refresh(): Promise<void> {
    if (!this.started || this.stopping) return;
    const previous = this.requeueing;
    const requeueing: Promise<void> = (async () => {
      await previous;
      await this.refilling?.catch(() => undefined); // a claim begun under the old settings may hold deliveries back
      this.configured = await this.smtp.isConfigured();
      if (this.configured) await this.health.refresh();
      if (this.configured && !this.holding()) await this.outbox.requeueWaiting();
    })()
      .catch((error: Error) => this.logger.error(`could not requeue waiting deliveries: ${error.message}`))
      .finally(() => {
        if (this.requeueing === requeueing) this.requeueing = undefined;
      });
    this.requeueing = requeueing;
    await requeueing;
    this.wake();
  }

  /** Something may be due: look, with a full pool of workers. */
  wake(): void {
    if (!this.started || this.stopping) return;
    this.wakeRequested = true;
    this.startWorkers();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.sweep?.cancel();
    await this.resetting;
    await this.requeueing;
    await Promise.all(this.checking);
    await Promise.all(this.workers); // each ends once its last outcome is recorded
    // Claimed but not begun: give them back now rather than when the lease expires.
    await this.outbox.release(this.queue.splice(0).map((d) => d.id), this.owner).catch(() => undefined);
  }

  private startWorkers(): void {
    while (this.workers.size < this.config.dispatch.concurrency && !this.stopping) {
      const worker: Promise<void> = this.worker()
        .catch((error: Error) => this.logger.error(`dispatch worker failed: ${error.message}`))
        .finally(() => this.workers.delete(worker));
      this.workers.add(worker);
    }
  }

  /**
   * Sends one mail after another. A worker sends its next mail while the outcome
   * of its last one is being recorded (outcomes of mails that finish together
   * share a write), and waits for that record before the one after: at most two
   * mails per worker are sent or in flight but not yet recorded.
   *
   * A worker leaves only once its last outcome is recorded, and looks at the queue
   * once more before it does: work handed over meanwhile found it still counted
   * among the workers (startWorkers started no other), so it is this worker's to
   * take. Leaving with work queued would leave that work, and every later hand-off
   * while others leave the same way, to fewer workers than DISPATCH_CONCURRENCY.
   */
  private async worker(): Promise<void> {
    let recording: Promise<void> = Promise.resolve();
    while (!this.stopping) {
      const next = this.queue.shift();
      if (next) {
        // Too close to the end of the claim: another process may take it over while
        // it is being sent, and both would send it. Leave it to whoever claims it next.
        if (this.clock.now() < next.leaseExpiresAt - this.leaseMargin()) {
          this.inHand.add(next.id);
          const outcome = await this.attempt(next);
          await recording;
          recording = (outcome ? this.record(outcome) : Promise.resolve()).finally(() => this.inHand.delete(next.id));
        }
        continue;
      }
      // Nothing queued: claim only if something may be due in the outbox (a wake, or a
      // full claim last time); deliveries handed over by planning need no claim.
      if (this.wakeRequested && (await this.refill())) continue;
      await recording;
      recording = Promise.resolve();
      if (!this.queue.length && !this.wakeRequested) break;
    }
    await recording;
  }

  /** The part of a lease kept free for the send itself: a quarter of it. */
  private leaseMargin(): number {
    return this.config.dispatch.leaseMs / 4;
  }

  /** One claim at a time for all workers; false when nothing is due (the workers stop). */
  private refill(): Promise<boolean> {
    this.refilling ??= this.claim().finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  private async claim(): Promise<boolean> {
    this.wakeRequested = false;
    const hold = this.holding();
    if (hold) {
      await this.outbox.holdDue(hold.reason);
      void this.health.waitingChanged();
      return this.wakeRequested;
    }
    if (!(await this.smtp.isConfigured())) {
      this.held.count += await this.outbox.holdDue(NOT_CONFIGURED);
      if (this.held.count && this.clock.now() - this.held.reportedAt >= HELD_REPORT_INTERVAL_MS) {
        this.logger.warn(`${this.held.count} more deliveries wait: SMTP is not configured`);
        this.held = { count: 0, reportedAt: this.clock.now() };
      }
      return this.wakeRequested;
    }
    const claimed = await this.outbox.claim(this.owner, this.config.dispatch.batchSize, this.config.dispatch.leaseMs);
    // Meanwhile (two connections on PostgreSQL): those whose person still receives them (one
    // query; the others end CANCELLED), and their events (one query; compose() loads any it still misses).
    const [send] = await Promise.all([
      this.readers.recheck(claimed.filter((d) => !this.inHand.has(d.id)), this.owner),
      this.composer.preload(claimed).catch((e: Error) => this.logger.warn(`could not preload events: ${e.message}`)),
    ]);
    this.queue.push(...send);
    if (claimed.length === this.config.dispatch.batchSize) this.wakeRequested = true; // there may be more
    if (send.length) this.startWorkers(); // workers that stopped on an empty claim come back
    return claimed.length > 0 || this.wakeRequested;
  }

  /** Sends one delivery; says how it ended (nothing when it was put back to wait: no relay, the relay down, paced). */
  private async attempt(d: ClaimedDelivery): Promise<Outcome | undefined> {
    let relay = 'the relay';
    let sendStart: number | undefined;
    let outcome: Outcome | undefined;
    try {
      const through = await this.smtp.relay();
      if (!through) return this.putBack([d], NOT_CONFIGURED);
      relay = `${through.settings.host}:${through.settings.port}`;
      const hold = this.holding() ?? (await this.health.reserve(through.settings));
      if (hold) return this.hold(d, hold);
      const mail = await this.composer.compose(d, through.settings);
      sendStart = this.clock.now();
      const info = await through.send({ envelope: mail.envelope, raw: mail.raw });
      await this.health.succeeded().catch((e: Error) => this.logger.warn(`could not record the relay's success: ${e.message}`));
      outcome = { delivery: d, status: DeliveryStatus.SENT, messageId: mail.messageId, reply: info.response ?? null };
    } catch (error) {
      // Before the send (rendering the mail, the quota's database): this delivery's attempt, not the relay's failure.
      const failure = sendStart === undefined
        ? { scope: 'message' as const, transient: true, step: SmtpCheckStep.SEND, reply: null, description: (error as Error).message }
        : this.smtp.classify(error);
      outcome = await this.failed(d, failure, relay);
    }
    this.measure(d, outcome, sendStart);
    return outcome;
  }

  /** Counts an attempt for /metrics (outcome, reply class, send time; event-to-250 time when sent). */
  private measure(d: ClaimedDelivery, outcome: Outcome | undefined, sendStart: number | undefined): void {
    if (!this.metrics) return;
    const now = this.clock.now();
    const seconds = sendStart === undefined ? undefined : (now - sendStart) / 1000;
    const kind = !outcome ? 'waiting' : outcome.status === DeliveryStatus.SENT ? 'sent' : outcome.status === DeliveryStatus.RETRY ? 'retry' : 'failed';
    this.metrics.attempted(kind, outcome?.reply ?? null, seconds);
    if (kind === 'sent') this.metrics.acceptedToSent((now - d.createdAt) / 1000);
  }

  /**
   * Records an outcome with others (group commit); never rejects. While the
   * database cannot write (full, unreachable) the outcome is kept and written
   * again with backoff; the worker waiting for it sends nothing meanwhile.
   */
  private async record(outcome: Outcome): Promise<void> {
    for (let delayMs = OUTCOME_RETRY_MIN_MS; ; delayMs = Math.min(2 * delayMs, OUTCOME_RETRY_MAX_MS)) {
      try {
        return await this.outcomes.add(outcome);
      } catch (error) {
        if (!isDatabaseUnavailable(error) || this.stopping) {
          return this.logger.error(`could not record the outcome of delivery ${outcome.delivery.id}: ${(error as Error).message.split('\n')[0]}`);
        }
        await this.clock.sleep(delayMs);
      }
    }
  }

  /** Why sending waits although a relay is configured (its circuit is open, or sending is paced), or nothing. */
  private holding(): RelayHold | undefined {
    return this.health.holding();
  }

  /**
   * The relay's health says to wait: this delivery and the ones queued go back
   * WAITING (no attempt spent); a pacing's end wakes the dispatcher, a closed
   * circuit is seen at the next sweep.
   */
  private hold(d: ClaimedDelivery, hold: RelayHold): Promise<undefined> {
    const until = hold.until?.getTime();
    if (until && this.pacedWake !== until) {
      this.pacedWake = until;
      void this.clock.sleep(Math.max(0, until - this.clock.now())).then(() => this.refresh());
    }
    return this.putBack([d, ...this.queue.splice(0)], hold.reason).finally(() => void this.health.waitingChanged()); // how many wait now
  }

  private async failed(d: ClaimedDelivery, failure: SmtpFailure, relay: string): Promise<Outcome | undefined> {
    const { reply } = failure;
    let text = failure.description;
    const ownFailures = await this.ownRelayFailures(d, failure);
    if (ownFailures !== undefined) {
      text = `the relay lost the session while sending this message ${ownFailures} times, while it took other mails or passed its probes: treated as this message's failure (${failure.step}: ${reply ?? text})`;
      failure = { ...failure, scope: 'message', transient: true };
    }
    if (failure.scope === 'relay') {
      // Not this mail's fault: every mail would fail alike. Nothing is spent; the relay's
      // health counts it (opening the circuit after a few in a row, a refused credential at once).
      const report = (e: Error) => this.logger.error(`could not record the relay's failure: ${e.message}`);
      if (failure.throttled) {
        const slowDown = await this.health.throttled(failure).catch((e: Error) => (report(e), { reason: `paced: ${reply ?? text}` }));
        return this.hold(d, slowDown);
      }
      await this.health.failed(failure).catch(report);
      const hold = this.holding();
      if (hold) return this.hold(d, hold);
      this.logger.warn(`delivery ${d.id} to ${d.recipientEmail} via ${relay}: the relay failed at ${failure.step} (${reply ?? text}); it waits, no attempt spent`);
      return this.putBack([d], `waiting: ${relay} failed at ${failure.step} (${reply ?? text}); tried again at the next sweep, no attempt spent`);
    }
    const attempt = d.attempts + 1;
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = this.config.dispatch;
    if (failure.transient && attempt < maxAttempts) {
      const next = new Date(this.clock.now() + retryDelayMs(attempt, backoffBaseMs, backoffMaxMs));
      this.logger.warn(`delivery ${d.id} to ${d.recipientEmail} via ${relay}: attempt ${attempt} failed (${reply ?? text}); retry at ${next.toISOString()}`);
      return { delivery: d, status: DeliveryStatus.RETRY, nextAttemptAt: next, reply, error: text };
    }
    this.logger.warn(`delivery ${d.id} to ${d.recipientEmail} via ${relay} FAILED after ${attempt} attempt(s): ${reply ?? text}`);
    return { delivery: d, status: DeliveryStatus.FAILED, reply, error: text };
  }

  /**
   * A session lost while sending this very delivery (after the relay took the
   * connection, greeting and login) looks relay-wide, but may be this message's doing
   * (a relay that hangs up on it in DATA, every time). Each such loss is counted
   * against the delivery when the relay has worked since its last one (another mail
   * accepted, a probe passed); from RELAY_FAILURES_PER_MESSAGE on they are its own
   * failure: the count, else undefined (relay-wide as before). A relay down for
   * everyone fails its probes and takes no mail, so beyond a first loss nothing adds
   * up against a message; failures before the session was taken (connect, greeting,
   * TLS, token, AUTH) are never counted against one.
   */
  private async ownRelayFailures(d: ClaimedDelivery, failure: SmtpFailure): Promise<number | undefined> {
    if (failure.scope !== 'relay' || failure.throttled || failure.step !== SmtpCheckStep.SEND) return undefined;
    const count = await this.outbox
      .relayFailure(d, this.owner, this.health.lastWorkedAt())
      .catch((e: Error) => (this.logger.error(`could not count delivery ${d.id}'s relay failure: ${e.message}`), d.relayFailures));
    return count >= this.config.relay.failuresPerMessage ? count : undefined;
  }

  /** Gives deliveries back to wait, unsent and without spending an attempt. */
  private async putBack(deliveries: ClaimedDelivery[], reason: string): Promise<undefined> {
    await this.outbox
      .release(deliveries.map((d) => d.id), this.owner, DeliveryStatus.WAITING, reason)
      .catch((e: Error) => this.logger.error(`could not put ${deliveries.length} deliveries back to wait: ${e.message}`));
    return undefined;
  }
}
