import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, LessThanOrEqual } from 'typeorm';
import { Clock, type Timer } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import type { NotificationType } from '../../event-types/notification-type';
import { digestWindowAt } from '../../users/frequency/digest-window';
import { isDigest, type NotificationFrequency } from '../../users/frequency/notification-frequency';
import { PreferenceChangedEvent } from '../../users/frequency/preference-changed.event';
import type { Recipient } from '../../users/recipients/recipients.service';
import { HeraldMetrics } from '../../observability/metrics/herald-metrics';
import type { FoldedMail } from '../cap/mail-cap';
import { DigestEntryEntity, FoldKind } from '../entities/digest-entry.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryOutbox, type NewDelivery } from '../outbox/delivery-outbox';

/** How often each process looks for windows that have ended. */
export const DIGEST_SWEEP_MS = 60_000;

/** Cap windows' ends one process keeps a timer for at most (beyond, the periodic sweep closes them). */
const MAX_WAKES = 10_000;

/** An event for someone who wants it in a digest, from the planner. */
export interface DigestItem {
  recipient: Recipient;
  eventId: string;
  eventType: NotificationType;
  applicationId: string;
}

/**
 * Digest mails. The planner hands over the events of people who want a digest
 * (collect, in its transaction); they wait in digest_entries, keyed by person and
 * window. When a window has ended, any process may close it (sweep): in one
 * transaction it records the digest — unique per (person, window), so exactly one
 * process wins — and writes ONE delivery referring to all the window's events,
 * newest first, then removes them from the waiting list. An empty window has no
 * entries and sends nothing. Someone who leaves digests for a type gets what was
 * waiting for it at once, each event in a mail of its own as they now want it.
 *
 * The mail cap's summaries go the same way (kind SUMMARY): the events it folded
 * wait in digest_entries until the person's cap window ends, then leave as one
 * summary mail — exactly one per person and window, in their language and zone.
 */
@Injectable()
export class Digests implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Digests');
  /** Written into the digests this process closes, to tell whether it won the window. */
  private readonly closer = randomUUID();
  private timer?: Timer;
  /** The sweep running, and the one asked for since it started (at most one waits). */
  private running?: Promise<number>;
  private next?: Promise<number>;
  /** Cap windows' ends this process will sweep at. */
  private readonly wakes = new Map<number, Timer>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly outbox: DeliveryOutbox,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  onModuleInit(): void {
    this.timer = this.clock.every(DIGEST_SWEEP_MS, () => void this.sweep().catch((e: Error) => this.logger.error(`closing digest windows failed: ${e.message}`)));
  }

  onModuleDestroy(): void {
    this.timer?.cancel();
    for (const timer of this.wakes.values()) timer.cancel();
    this.wakes.clear();
  }

  /** Puts events in their people's current windows (in the planner's transaction). */
  async collect(manager: EntityManager, items: DigestItem[]): Promise<void> {
    if (!items.length) return;
    const now = this.clock.now();
    const rows = items.map(({ recipient: r, eventId, eventType, applicationId }) => {
      const window = digestWindowAt(now, r.frequency as NotificationFrequency.DIGEST_HOURLY | NotificationFrequency.DIGEST_DAILY, r.digestHour);
      return {
        recipientId: r.externalId, windowStart: window.start, windowEnd: window.end, eventId, eventType, applicationId,
        recipientEmail: r.email, recipientName: r.displayName, recipientLocale: r.locale, recipientTimeZone: r.timeZone, kind: FoldKind.DIGEST,
      };
    });
    for (let i = 0; i < rows.length; i += 1000) {
      await manager.createQueryBuilder().insert().into(DigestEntryEntity).values(rows.slice(i, i + 1000)).updateEntity(false).execute();
    }
  }

  /** Puts the mails the cap held back in their people's summaries (in the planner's transaction). */
  async fold(manager: EntityManager, folded: FoldedMail[]): Promise<void> {
    const rows = folded.map(({ delivery: d, windowStart, windowEnd }) => ({
      recipientId: d.recipientId, windowStart, windowEnd, eventId: d.eventIds[0], eventType: d.eventType, applicationId: d.applicationId,
      recipientEmail: d.recipientEmail, recipientName: d.recipientName, recipientLocale: d.recipientLocale, recipientTimeZone: d.recipientTimeZone,
      kind: FoldKind.SUMMARY,
    }));
    for (let i = 0; i < rows.length; i += 1000) {
      await manager.createQueryBuilder().insert().into(DigestEntryEntity).values(rows.slice(i, i + 1000)).updateEntity(false).execute();
    }
    const ends = new Set(folded.map((f) => f.windowEnd.getTime()));
    if (ends.size) this.transactions.afterCommit(manager, () => ends.forEach((end) => this.sweepAt(end)));
  }

  /**
   * A sweep when a cap window ends, so that its summary leaves then rather than at
   * the next periodic sweep (which still closes it if this process stops first).
   */
  private sweepAt(end: number): void {
    if (this.wakes.has(end) || this.wakes.size >= MAX_WAKES) return;
    // A timer that can be cancelled at shutdown (and does not keep the process alive).
    const timer = this.clock.every(Math.max(1, end - this.clock.now()), () => {
      timer.cancel();
      this.wakes.delete(end);
      void this.sweep().catch((e: Error) => this.logger.error(`closing cap windows failed: ${e.message}`));
    });
    this.wakes.set(end, timer);
  }

  /**
   * Closes every window that has ended; how many digests it wrote. One sweep at a
   * time per process: asked while one runs, it runs once more after it (asking
   * again meanwhile joins that run), so every caller sees the windows ended by then.
   */
  sweep(): Promise<number> {
    if (this.next) return this.next;
    const run: Promise<number> = (this.running ?? Promise.resolve(0))
      .catch(() => 0)
      .then(() => {
        this.next = undefined;
        this.running = run;
        return this.closeEnded();
      })
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.next = run;
    return run;
  }

  private async closeEnded(): Promise<number> {
    const ended = await this.dataSource
      .getRepository(DigestEntryEntity)
      .createQueryBuilder('e')
      .select(['e.recipient_id AS "recipientId"', 'e.window_end AS "windowEnd"'])
      .where('e.window_end <= :now', { now: this.clock.date() })
      .groupBy('e.recipient_id')
      .addGroupBy('e.window_end')
      .addGroupBy('e.kind')
      .orderBy('e.window_end')
      .getRawMany<{ recipientId: string; windowEnd: Date | string }>();
    let sent = 0;
    for (const { recipientId } of ended) {
      // The window's end as TypeORM hands it back differs per driver: look the entries up by person and time instead.
      if (await this.close(recipientId)) sent++;
    }
    return sent;
  }

  /** Closes the person's earliest ended window (a digest's or a cap summary's); false if another process had closed it. */
  private close(recipientId: string): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const entries = manager.getRepository(DigestEntryEntity);
      const first = await entries.findOne({ where: { recipientId, windowEnd: LessThanOrEqual(this.clock.date()) }, order: { windowEnd: 'ASC', id: 'ASC' } });
      if (!first) return false;
      const kind = first.kind;
      const waiting = await entries.find({ where: { recipientId, windowEnd: first.windowEnd, kind }, order: { id: 'DESC' } });
      await manager.createQueryBuilder().insert().into(DigestEntity)
        .values({ recipientId, windowStart: first.windowStart, windowEnd: first.windowEnd, kind, closer: this.closer, deliveryId: null })
        .orIgnore().updateEntity(false).execute();
      const digest = await manager.getRepository(DigestEntity).findOneByOrFail({ recipientId, windowEnd: first.windowEnd, kind });
      if (digest.closer !== this.closer || digest.deliveryId !== null) {
        // Sent already (events that committed after their window was closed): they go in the next window.
        const length = first.windowEnd.getTime() - first.windowStart.getTime();
        await entries.update({ id: In(waiting.map((e) => e.id)) }, { windowStart: first.windowEnd, windowEnd: new Date(first.windowEnd.getTime() + length) });
        return false;
      }
      const latest = waiting[0];
      const [delivery] = await this.outbox.insert(manager, [{
        eventIds: waiting.map((e) => e.eventId),
        eventType: latest.eventType,
        applicationId: latest.applicationId,
        recipientId,
        recipientEmail: latest.recipientEmail,
        recipientName: latest.recipientName,
        recipientLocale: latest.recipientLocale,
        // A digest is written in English and UTC for now; a summary in the person's language and zone.
        recipientTimeZone: kind === FoldKind.SUMMARY ? latest.recipientTimeZone : null,
      }]);
      await manager.getRepository(DigestEntity).update(digest.id, { deliveryId: delivery.id });
      await entries.delete({ id: In(waiting.map((e) => e.id)) });
      this.transactions.afterCommit(manager, () => {
        if (kind === FoldKind.SUMMARY) this.metrics?.capSummaryWritten();
        this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(1));
      });
      return true;
    });
  }

  /** Someone left digests for a type (everywhere or for one application): what waited for it goes now, a mail per event. */
  @OnEvent(PreferenceChangedEvent.NAME)
  async preferenceChanged(change: PreferenceChangedEvent): Promise<void> {
    if (change.frequency !== null && isDigest(change.frequency)) return;
    try {
      await this.transactions.run(async (manager) => {
        const entries = manager.getRepository(DigestEntryEntity);
        const waiting = await entries.find({
          where: { recipientId: change.userId, eventType: change.eventType, kind: FoldKind.DIGEST, ...(change.applicationId !== null && { applicationId: change.applicationId }) },
          order: { id: 'ASC' },
        });
        if (!waiting.length) return;
        const deliveries: NewDelivery[] = waiting.map((e) => ({
          eventIds: [e.eventId], eventType: e.eventType, applicationId: e.applicationId, recipientId: e.recipientId,
          recipientEmail: e.recipientEmail, recipientName: e.recipientName, recipientLocale: e.recipientLocale, recipientTimeZone: null,
        }));
        await this.outbox.insert(manager, deliveries);
        await entries.delete({ id: In(waiting.map((e) => e.id)) });
        this.transactions.afterCommit(manager, () => this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(deliveries.length)));
      });
    } catch (error) {
      this.logger.error(`sending what waited for ${change.eventType} failed: ${(error as Error).message}`);
    }
  }
}
