import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { type EntityManager, In, LessThanOrEqual } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { addressOn, type AudienceMember } from '../../audiences/audience-source.port';
import { AudienceSources, reasonsNotRead } from '../../audiences/audience-sources';
import { DeliveryChannels } from '../../channels/delivery-channels';
import { Clock, type Timer } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import type { NotificationType } from '../../event-types/notification-type';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { type DigestWindow, digestTimeZone, digestWindowAt, windowAfter } from '../../users/frequency/digest-window';
import { isDigest, type NotificationFrequency } from '../../users/frequency/notification-frequency';
import { PreferenceChangedEvent } from '../../users/frequency/preference-changed.event';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import type { FoldedMail } from '../cap/mail-cap';
import { DigestEntryEntity, FoldKind } from '../entities/digest-entry.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryOutbox, type NewDelivery } from '../outbox/delivery-outbox';
import { DigestEntries, type EntryRow } from './digest-entries';

/** A time as TypeORM stores it: UTC 'YYYY-MM-DD HH:MM:SS.SSS' (a timestamp literal on PostgreSQL). */
const stored = (date: Date) => DateUtils.mixedDateToUtcDatetimeString(date) as string;

/** Rows read to be taken (released, or put in a digest) are locked on PostgreSQL, where two transactions can read them at once (SQLite has one writer). */
const lockedOn = (manager: EntityManager) => (manager.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {});

/** How often each process looks for windows that have ended. */
export const DIGEST_SWEEP_MS = 60_000;

/** Cap windows' ends one process keeps a timer for at most (beyond, the periodic sweep closes them). */
const MAX_WAKES = 10_000;

/** An event for someone who wants it in a digest, from the planner. */
export interface DigestItem {
  recipient: AudienceMember;
  /** The channel its digest goes through, and the person's address there. */
  channel: string;
  address: string;
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
 * Windows are in each person's time zone (theirs, else the admin's default, as
 * when the event was planned: users/frequency/digest-window.ts); the entry keeps
 * that zone and the digest mail is written in it, in the person's language.
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
    private readonly transactions: Transactions,
    private readonly entries: DigestEntries,
    private readonly outbox: DeliveryOutbox,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    private readonly mailDefaults: MailDefaultsService,
    private readonly audiences: AudienceSources,
    private readonly channels: DeliveryChannels,
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
    const { timeZone: adminZone } = await this.mailDefaults.get();
    // Most people share a few (frequency, hour, zone): each window is worked out once per call.
    const windows = new Map<string, DigestWindow>();
    const rows = items.map(({ recipient: r, channel, address, eventId, eventType, applicationId }): EntryRow => {
      const zone = digestTimeZone(r.timeZone, adminZone);
      const key = `${r.frequency}\n${r.digestHour}\n${zone}`;
      let window = windows.get(key);
      if (!window) windows.set(key, (window = digestWindowAt(now, r.frequency as NotificationFrequency.DIGEST_HOURLY | NotificationFrequency.DIGEST_DAILY, r.digestHour, zone)));
      return {
        recipient_id: r.recipientId, window_start: stored(window.start), window_end: stored(window.end), event_id: eventId, event_type: eventType,
        application_id: applicationId, channel, address, recipient_name: r.displayName, recipient_locale: r.locale, recipient_time_zone: zone,
        kind: FoldKind.DIGEST,
      };
    });
    await this.entries.add(manager, rows);
  }

  /** Puts the mails the cap held back in their people's summaries (in the planner's transaction). */
  async fold(manager: EntityManager, folded: FoldedMail[]): Promise<void> {
    const rows = folded.map(({ delivery: d, windowStart, windowEnd }): EntryRow => ({
      recipient_id: d.recipientId, window_start: stored(windowStart), window_end: stored(windowEnd), event_id: d.eventIds[0], event_type: d.eventType,
      application_id: d.applicationId, channel: d.channel, address: d.address, recipient_name: d.recipientName, recipient_locale: d.recipientLocale,
      recipient_time_zone: d.recipientTimeZone, kind: FoldKind.SUMMARY,
    }));
    await this.entries.add(manager, rows);
    const ends = new Set(folded.map((f) => f.windowEnd.getTime()));
    if (ends.size) this.transactions.afterCommit(manager, () => ends.forEach((end) => this.sweepAt(end)));
  }

  /**
   * Puts the mails quiet hours held in their people's waiting list, until the quiet
   * ends (in the planner's transaction): one window per person and end, so what a
   * night held leaves as one mail at its end.
   */
  async hold(manager: EntityManager, held: Array<{ delivery: NewDelivery; until: Date }>): Promise<void> {
    if (!held.length) return;
    const start = stored(this.clock.date());
    const rows = held.map(({ delivery: d, until }): EntryRow => ({
      recipient_id: d.recipientId, window_start: start, window_end: stored(until), event_id: d.eventIds[0], event_type: d.eventType,
      application_id: d.applicationId, channel: d.channel, address: d.address, recipient_name: d.recipientName, recipient_locale: d.recipientLocale,
      recipient_time_zone: d.recipientTimeZone, kind: FoldKind.QUIET,
    }));
    await this.entries.add(manager, rows);
    const ends = new Set(held.map((h) => h.until.getTime()));
    this.transactions.afterCommit(manager, () => ends.forEach((end) => this.sweepAt(end)));
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
      // A timer may fire a moment before the wall clock reaches its end: the sweep would find the window open.
      if (this.clock.now() < end) return this.sweepAt(end);
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
    const ended = await this.entries.ended(this.clock.date());
    let sent = 0;
    for (const { recipientId } of ended) {
      // The window's end as TypeORM hands it back differs per driver: look the entries up by person and time instead.
      if (await this.close(recipientId)) sent++;
    }
    return sent;
  }

  /** Closes the person's earliest ended window (a digest's or a cap summary's, on one channel); false if another process had closed it. */
  private close(recipientId: string): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const entries = manager.getRepository(DigestEntryEntity);
      const first = await entries.findOne({ where: { recipientId, windowEnd: LessThanOrEqual(this.clock.date()) }, order: { windowEnd: 'ASC', id: 'ASC' } });
      if (!first) return false;
      const { kind, channel } = first;
      // Locked (PostgreSQL), in id order as preferenceChanged locks them: an entry a preference change took
      // meanwhile is gone once it commits, so the event is in the digest or in its own mail, never both.
      const waiting = (await entries.find({ where: { recipientId, windowEnd: first.windowEnd, kind, channel }, order: { id: 'ASC' }, ...lockedOn(manager) })).reverse();
      if (!waiting.length) return false;
      await manager.createQueryBuilder().insert().into(DigestEntity)
        .values({ recipientId, windowStart: first.windowStart, windowEnd: first.windowEnd, kind, channel, closer: this.closer, deliveryId: null })
        .orIgnore().updateEntity(false).execute();
      const digest = await manager.getRepository(DigestEntity).findOneByOrFail({ recipientId, windowEnd: first.windowEnd, kind, channel });
      if (digest.closer !== this.closer || digest.deliveryId !== null) {
        // Sent already (events that committed after their window was closed): they go in the next window.
        const next =
          kind === FoldKind.SUMMARY
            ? { start: first.windowEnd, end: new Date(2 * first.windowEnd.getTime() - first.windowStart.getTime()) } // a cap window as long
            : kind === FoldKind.QUIET
              ? { start: first.windowEnd, end: new Date(first.windowEnd.getTime() + 1) } // the quiet is over: at the next sweep
              : windowAfter({ start: first.windowStart, end: first.windowEnd }, digestTimeZone(first.recipientTimeZone, null));
        await entries.update({ id: In(waiting.map((e) => e.id)) }, { windowStart: next.start, windowEnd: next.end });
        return false;
      }
      // Who still reads each event (one query): the others are left out, each a CANCELLED
      // delivery saying why; with none left, the digest itself is CANCELLED. The mail goes to
      // the person as they are now, in the zone its window was computed in.
      const answers = await this.audiences.readersOf(waiting.map((e) => ({ recipientId, applicationId: e.applicationId, eventType: e.eventType as NotificationType })), manager);
      const reader = answers.find((a) => a.reads);
      const kept = waiting.filter((_, i) => answers[i].reads);
      const listed = kept.length ? kept : waiting;
      const latest = waiting[0];
      const person = {
        recipientId,
        channel,
        address: (reader?.reads && addressOn(this.channels.get(channel), reader.reach)) || latest.address,
        recipientName: reader?.reads ? reader.displayName : latest.recipientName,
        recipientLocale: reader?.reads ? reader.locale : latest.recipientLocale,
        recipientTimeZone: latest.recipientTimeZone, // the zone its window was computed in
      };
      const [delivery] = await this.outbox.insert(manager, [{ eventIds: listed.map((e) => e.eventId), eventType: listed[0].eventType, applicationId: listed[0].applicationId, ...person }]);
      // One mail that quiet hours held goes as it would have: its own mail (the row is not its delivery's, so the
      // delivery is an EVENT); the window is closed all the same (a closer no process has: later events go to the next).
      if (kind === FoldKind.QUIET && listed.length === 1) await manager.getRepository(DigestEntity).update(digest.id, { closer: `${this.closer}/own` });
      else await manager.getRepository(DigestEntity).update(digest.id, { deliveryId: delivery.id });
      const left = waiting.flatMap((e, i) => {
        const a = answers[i];
        return a.reads ? [] : [{ reason: a.reason, delivery: { eventIds: [e.eventId], eventType: e.eventType, applicationId: e.applicationId, ...person } }];
      });
      if (kept.length) await this.outbox.writeCancelled(manager, left);
      else await this.outbox.cancelWritten(manager, [{ id: delivery.id, reason: reasonsNotRead(answers) }]);
      await entries.delete({ id: In(waiting.map((e) => e.id)) });
      this.transactions.afterCommit(manager, () => {
        this.metrics?.cancelled(kept.length ? left.map((l) => l.delivery) : [person]);
        if (!kept.length) return;
        if (kind === FoldKind.SUMMARY) this.metrics?.capSummaryWritten();
        this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(1));
      });
      return true;
    });
  }

  /**
   * Someone left digests for a type (everywhere or for one application): what waited for it and no longer goes
   * in a digest (their frequency for its application now, as planning reads it) goes now, a mail per event.
   */
  @OnEvent(PreferenceChangedEvent.NAME)
  async preferenceChanged(change: PreferenceChangedEvent): Promise<void> {
    if (change.frequency !== null && isDigest(change.frequency)) return;
    try {
      await this.transactions.run(async (manager) => {
        const entries = manager.getRepository(DigestEntryEntity);
        const waiting = await entries.find({
          where: { recipientId: change.userId, eventType: change.eventType, kind: FoldKind.DIGEST, ...(change.applicationId !== null && { applicationId: change.applicationId }) },
          order: { id: 'ASC' },
          ...lockedOn(manager), // a window closing now has them locked too: they are its digest's once it commits
        });
        // Only what no longer goes in a digest: the person's choice for an application outlives a change of
        // their global one, and a forgotten choice may fall back to a digest (as planning reads it, per application).
        const source = this.audiences.ownerOf(change.userId);
        const stillDigest = new Map<string, boolean>();
        for (const applicationId of new Set(waiting.map((e) => e.applicationId))) {
          const me = (await source?.membersFor(applicationId, change.eventType, manager))?.find((m) => m.recipientId === change.userId);
          stillDigest.set(applicationId, !!me && isDigest(me.frequency));
        }
        const released = waiting.filter((e) => !stillDigest.get(e.applicationId));
        if (!released.length) return;
        const deliveries: NewDelivery[] = released.map((e) => ({
          eventIds: [e.eventId], eventType: e.eventType, applicationId: e.applicationId, recipientId: e.recipientId,
          channel: e.channel, address: e.address, recipientName: e.recipientName, recipientLocale: e.recipientLocale, recipientTimeZone: e.recipientTimeZone,
        }));
        await this.outbox.insert(manager, deliveries);
        await entries.delete({ id: In(released.map((e) => e.id)) });
        this.transactions.afterCommit(manager, () => this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(deliveries.length)));
      });
    } catch (error) {
      this.logger.error(`sending what waited for ${change.eventType} failed: ${(error as Error).message}`);
    }
  }
}
