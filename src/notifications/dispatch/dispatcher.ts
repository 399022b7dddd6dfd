import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  type ChannelAttempt,
  type ChannelDelivery,
  type ChannelFailure,
  type ChannelHold,
  ChannelsChangedEvent,
  type DeliveryChannel,
  type DispatchContext,
} from '../../channels/delivery-channel.port';
import { DeliveryChannels } from '../../channels/delivery-channels';
import { Clock, type Timer } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { GroupCommit } from '../../database/group-commit';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { DeliveryStatus } from '../entities/delivery.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryContents } from '../outbox/delivery-contents';
import { type ClaimedDelivery, DeliveryOutbox, type Outcome } from '../outbox/delivery-outbox';
import type { DeliveryTaker } from '../outbox/delivery-taker';
import { DayBudgetFold } from './day-budget-fold';
import { Readers } from './readers';
import { retryDelayMs } from './retry-policy';

/** Backoff of an outcome that could not be written because the database could not write. */
const OUTCOME_RETRY_MIN_MS = 250;
const OUTCOME_RETRY_MAX_MS = 5_000;
/** Deliveries held for want of a configured channel are reported at most this often (each new event holds more). */
const HELD_REPORT_INTERVAL_MS = 60_000;
/** Workers at least, when DISPATCH_CONCURRENCY is not set. */
const MIN_WORKERS = 20;

/**
 * The outbox's worker pool, for every channel (src/channels). Up to
 * DISPATCH_CONCURRENCY workers (unset: as many as the channels can keep busy, at
 * least 20 — a relay pool's connections each need mails waiting) share one queue, fed two ways: deliveries planned
 * in this process are handed over as they commit, written already claimed by it
 * (it is planning's DELIVERY_TAKER), and one claim at a time brings due ones from
 * the outbox when something may be due there (planned elsewhere, a retry, a
 * channel that changed, the periodic sweep: backoffs that ended, claims of a
 * process that died). Workers stop when there is nothing to do and come back with
 * the next hand-off, claim or wake.
 *
 * Each batch goes to its deliveries' channel (`take`), each delivery to its
 * channel's `send`; what the channel says of the attempt becomes the outcome —
 * SENT, RETRY (backoff with jitter) or FAILED, the outcomes of attempts that end
 * together written together — or, for a failure of the channel as a whole, the
 * delivery waits (WAITING, no attempt spent), with everything queued for the
 * channel when the channel says to hold. While a channel holds, its deliveries are
 * neither claimed nor taken from planning.
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
  private stopping = false;
  private started = false;
  private sweep?: Timer;
  private requeueing?: Promise<void>;
  private readonly outcomes: GroupCommit<Outcome, void>;
  /** Per channel: deliveries held since the last report because it is not configured. */
  private readonly held = new Map<string, { count: number; reportedAt: number }>();
  /**
   * Deliveries being sent, or sent with their outcome not yet written. Their lease
   * may run out meanwhile (a slow channel, a database that cannot write): a claim of
   * this process that takes one of them again does not send it a second time — the
   * outcome, when written, ends it.
   */
  private readonly inHand = new Set<number>();
  /** Per channel, the end of the pacing a wake is planned for. */
  private readonly pacedWake = new Map<string, number>();
  /** What channels may read of the deliveries they are given (one object, lent to every call). */
  private readonly context: DispatchContext;
  /** Hand-offs whose readers are being checked before they join the queue. */
  private readonly checking = new Set<Promise<void>>();

  constructor(
    private readonly config: HeraldConfig,
    private readonly outbox: DeliveryOutbox,
    contents: DeliveryContents,
    private readonly channels: DeliveryChannels,
    private readonly clock: Clock,
    private readonly readers: Readers,
    @Optional() private readonly metrics?: HeraldMetrics,
    @Optional() private readonly dayBudget?: DayBudgetFold,
  ) {
    // Outcomes are written together: those of sends that end in one turn of the event loop (the
    // relay's thread answers a turn's sends together), and those that end while a write runs. No
    // linger: a worker that waits for its last outcome's write (see worker) has no mail at the relay
    // meanwhile (a 20 ms linger cost a tenth of the msg/s at 100 recipients an event,
    // docs/benchmarks.md). A crash before the write means the mail is sent again once its claim
    // expires, as one in flight would be.
    this.outcomes = new GroupCommit<Outcome, void>(
      async (outcomes) => {
        await this.outbox.record(outcomes, this.owner);
        return outcomes.map(() => undefined);
      },
      { maxBatch: config.dispatch.batchSize },
    );
    this.context = {
      payloads: (ids) => contents.payloads(ids),
      eventsOf: (id) => contents.eventsOf(id),
      windowOf: (id) => contents.windowOf(id),
      countFailure: (delivery, workedAt) => this.outbox.countFailure(delivery, this.owner, workedAt),
    };
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
    void this.take(handOff.deliveries, handOff.payloads).catch((e: Error) => this.logger.warn(`could not prepare handed-over deliveries: ${e.message}`));
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
   * How many new deliveries through these channels this process would take
   * straight from planning (claimed as they are written) rather than claim them
   * later: none while one of them holds, and no more than two claims' worth queued.
   */
  room(channels: Iterable<string>): number {
    if (!this.started || this.stopping) return 0;
    for (const name of channels) {
      const channel = this.channels.get(name);
      if (!channel || channel.holding()) return 0;
    }
    return Math.max(0, 2 * this.config.dispatch.batchSize - this.queue.length);
  }

  /** How long the claim lasts that planning writes into deliveries it hands over. */
  get leaseMs(): number {
    return this.config.dispatch.leaseMs;
  }

  /** A channel changed (its settings, say): what waited for it may go. */
  @OnEvent(ChannelsChangedEvent.NAME, { async: true })
  onChannelsChanged(): Promise<void> {
    return this.refresh();
  }

  /**
   * Looks at the channels and the outbox again: at start, when a channel changed and
   * at every sweep. Each channel reads its settings and health first; the
   * deliveries that waited for a channel that no longer holds are due again — also
   * any that a claim begun before the change held back (the sweep mends that too) —
   * and whatever is due is claimed.
   */
  private async refresh(): Promise<void> {
    if (!this.started || this.stopping) return;
    const previous = this.requeueing;
    const requeueing: Promise<void> = (async () => {
      await previous;
      await this.refilling?.catch(() => undefined); // a claim begun before the change may hold deliveries back
      for (const channel of this.channels.all) {
        await channel.refresh();
        if (!channel.holding()) await this.outbox.requeueWaiting(channel.name);
      }
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
    await this.requeueing;
    await Promise.all(this.checking);
    await Promise.all(this.workers); // each ends once its last outcome is recorded
    // Claimed but not begun: give them back now rather than when the lease expires.
    await this.outbox.release(this.queue.splice(0).map((d) => d.id), this.owner).catch(() => undefined);
  }

  /** DISPATCH_CONCURRENCY, or what the channels can keep busy now (their settings may change live). */
  private workerLimit(): number {
    const set = this.config.dispatch.concurrency;
    if (set !== undefined) return set;
    let most = MIN_WORKERS;
    for (const channel of this.channels.all) most = Math.max(most, channel.concurrency?.() ?? 0);
    return most;
  }

  private startWorkers(): void {
    const limit = this.workerLimit();
    while (this.workers.size < limit && !this.stopping) {
      const worker: Promise<void> = this.worker()
        .catch((error: Error) => this.logger.error(`dispatch worker failed: ${error.message}`))
        .finally(() => this.workers.delete(worker));
      this.workers.add(worker);
    }
  }

  /**
   * Sends one delivery after another. A worker sends its next one while the
   * outcome of its last one is being recorded (outcomes share a write, see the
   * constructor), and waits for that record before the one after: at most two
   * deliveries per worker are sent or in flight but not yet recorded.
   *
   * A worker leaves only once its last outcome is recorded, and looks at the queue
   * once more before it does: work handed over meanwhile found it still counted
   * among the workers (startWorkers started no other), so it is this worker's to
   * take. Leaving with work queued would leave that work, and every later hand-off
   * while others leave the same way, to fewer workers than the limit (workerLimit).
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
    // A channel that holds keeps its due deliveries waiting, and they are not claimed.
    let open = 0;
    for (const channel of this.channels.all) {
      const hold = await channel.check();
      if (hold) await this.holdDue(channel, hold);
      else open++;
    }
    if (!open) return this.wakeRequested;
    const claimed = await this.outbox.claim(this.owner, this.config.dispatch.batchSize, this.config.dispatch.leaseMs);
    // Meanwhile (two connections on PostgreSQL): those whose person still receives them (one
    // query; the others end CANCELLED), and what the batch needs, loaded once by its channel (its events).
    const [send] = await Promise.all([
      this.readers.recheck(claimed.filter((d) => !this.inHand.has(d.id)), this.owner),
      this.take(claimed).catch((e: Error) => this.logger.warn(`could not prepare claimed deliveries: ${e.message}`)),
    ]);
    this.queue.push(...send);
    if (claimed.length === this.config.dispatch.batchSize) this.wakeRequested = true; // there may be more
    if (send.length) this.startWorkers(); // workers that stopped on an empty claim come back
    return claimed.length > 0 || this.wakeRequested;
  }

  /** Hands a batch to its channels, each its own deliveries (one call per channel, none per delivery). */
  private async take(batch: readonly ClaimedDelivery[], payloads?: ReadonlyMap<string, string>): Promise<void> {
    if (!batch.length) return;
    const channels = this.channels.all;
    if (channels.length === 1) return channels[0].take(batch, this.context, payloads);
    const byChannel = new Map<string, ClaimedDelivery[]>();
    for (const d of batch) {
      const own = byChannel.get(d.channel);
      if (own) own.push(d);
      else byChannel.set(d.channel, [d]);
    }
    await Promise.all([...byChannel].map(([name, own]) => this.channels.get(name)?.take(own, this.context, payloads)));
  }

  /** A channel holds: its due deliveries wait; one that is not configured is reported now and then. */
  private async holdDue(channel: DeliveryChannel, hold: ChannelHold): Promise<void> {
    const count = await this.outbox.holdDue(channel.name, hold.reason);
    channel.held?.();
    if (hold.fold && hold.until) await this.dayBudget?.fold(channel.name, hold.until, hold.reason);
    if (!hold.unconfigured) return;
    const held = this.held.get(channel.name) ?? { count: 0, reportedAt: 0 };
    held.count += count;
    if (held.count && this.clock.now() - held.reportedAt >= HELD_REPORT_INTERVAL_MS) {
      this.logger.warn(`${held.count} more deliveries wait: ${hold.reason.replace(/^waiting: /, '')}`);
      held.count = 0;
      held.reportedAt = this.clock.now();
    }
    this.held.set(channel.name, held);
  }

  /** One attempt through the delivery's channel; its outcome (nothing when it was put back to wait). */
  private async attempt(d: ClaimedDelivery): Promise<Outcome | undefined> {
    const channel = this.channels.get(d.channel);
    if (!channel) return this.putBack([d], `waiting: no channel "${d.channel}" in this process; tried again at the next sweep, no attempt spent`);
    // Claimed with other channels' deliveries while its own channel holds (or handed over just before).
    const hold = channel.holding();
    if (hold) return this.hold(d, channel, hold);
    let attempt: ChannelAttempt;
    try {
      attempt = await channel.send(d, this.context);
    } catch (error) {
      attempt = { sent: false, failure: { scope: 'message', transient: true, reply: null, description: (error as Error).message, via: channel.name } };
    }
    if (!attempt.sent && 'cancelled' in attempt) return this.cancelled(d, attempt.cancelled);
    const outcome: Outcome | undefined = attempt.sent
      ? { delivery: d, status: DeliveryStatus.SENT, messageId: attempt.reference, reply: attempt.reply, ...(attempt.note && { note: attempt.note }), ...(attempt.sentVia && { sentVia: attempt.sentVia }) }
      : await this.failed(d, channel, attempt.failure);
    this.measure(d, outcome, attempt.sendMs);
    return outcome;
  }

  /**
   * The channel found nothing to send to any more (a target disabled or removed since the
   * delivery was checked): CANCELLED with the reason, as Readers cancels — never sent, no
   * attempt spent, counted as cancelled, not as an attempt or a failure.
   */
  private cancelled(d: ClaimedDelivery, reason: string): Outcome {
    this.metrics?.cancelled([d]);
    this.logger.log(`delivery ${d.id} to ${d.address} CANCELLED before sending: ${reason}`);
    return { delivery: d, status: DeliveryStatus.CANCELLED, reply: null, error: reason };
  }

  /** Counts an attempt for /metrics by its channel (outcome, reply class, send time; event-to-sent time when sent). */
  private measure(d: ClaimedDelivery, outcome: Outcome | undefined, sendMs: number | undefined): void {
    if (!this.metrics) return;
    const kind = !outcome ? 'waiting' : outcome.status === DeliveryStatus.SENT ? 'sent' : outcome.status === DeliveryStatus.RETRY ? 'retry' : 'failed';
    this.metrics.attempted(d.channel, kind, outcome?.reply ?? null, sendMs === undefined ? undefined : sendMs / 1000);
    if (kind === 'sent') this.metrics.acceptedToSent(d.channel, (this.clock.now() - d.createdAt) / 1000);
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

  /**
   * A failure of the channel as a whole puts the delivery back to wait (no attempt
   * spent) — with everything queued for the channel when the channel holds; a
   * failure of the message or recipient spends an attempt: RETRY after a backoff
   * while transient and attempts remain, else FAILED.
   */
  private async failed(d: ClaimedDelivery, channel: DeliveryChannel, failure: ChannelFailure): Promise<Outcome | undefined> {
    if (failure.scope === 'channel') return failure.hold ? this.hold(d, channel, failure.hold) : this.putBack([d], failure.description);
    const { reply, description: error, via } = failure;
    const attempt = d.attempts + 1;
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = this.config.dispatch;
    if (failure.transient && attempt < maxAttempts) {
      const next = new Date(this.clock.now() + retryDelayMs(attempt, backoffBaseMs, backoffMaxMs));
      this.logger.warn(`delivery ${d.id} to ${d.address} via ${via}: attempt ${attempt} failed (${reply ?? error}); retry at ${next.toISOString()}`);
      return { delivery: d, status: DeliveryStatus.RETRY, nextAttemptAt: next, reply, error };
    }
    this.logger.warn(`delivery ${d.id} to ${d.address} via ${via} FAILED after ${attempt} attempt(s): ${reply ?? error}`);
    return { delivery: d, status: DeliveryStatus.FAILED, reply, error };
  }

  /**
   * The channel holds: this delivery and those queued for the channel go back
   * WAITING (no attempt spent); the end of a pacing wakes the dispatcher, a hold
   * without an end is seen at the next sweep or change.
   */
  private hold(d: ClaimedDelivery, channel: DeliveryChannel, hold: ChannelHold): Promise<undefined> {
    const until = hold.until?.getTime();
    if (until && this.pacedWake.get(channel.name) !== until) {
      this.pacedWake.set(channel.name, until);
      void this.clock.sleep(Math.max(0, until - this.clock.now())).then(() => this.refresh());
    }
    const waiting = [d];
    const others: ClaimedDelivery[] = [];
    for (const queued of this.queue.splice(0)) (queued.channel === channel.name ? waiting : others).push(queued);
    this.queue.push(...others);
    return this.putBack(waiting, hold.reason).finally(() => {
      channel.held?.(); // it may say how many wait now
      if (hold.fold && hold.until) void this.dayBudget?.fold(channel.name, hold.until, hold.reason);
    });
  }

  /** Gives deliveries back to wait, unsent and without spending an attempt. */
  private async putBack(deliveries: ChannelDelivery[], reason: string): Promise<undefined> {
    await this.outbox
      .release(deliveries.map((d) => d.id), this.owner, DeliveryStatus.WAITING, reason)
      .catch((e: Error) => this.logger.error(`could not put ${deliveries.length} deliveries back to wait: ${e.message}`));
    return undefined;
  }
}
