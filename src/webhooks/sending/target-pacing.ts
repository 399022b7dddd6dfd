import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ChannelsChangedEvent } from '../../channels/delivery-channel.port';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Sql } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { NotificationTargetEntity } from '../notification-target.entity';

/** A claimed turn outlives its request by this much (the request's own timeout bounds it). */
const LEASE_MARGIN_MS = 5_000;

/**
 * What `take` answers: the turn is this post's (undefined); wait until `waitUntil`
 * (`busy`: another post to it is under way); or the target is disabled (`disabled`:
 * why), as another process made it (a 404/410) since this process loaded it.
 */
export type TargetTurn = { waitUntil: number; busy: boolean } | { disabled: string } | undefined;

/**
 * Each target's own pace, shared by every Herald process: one request at a time
 * per target, at least its kind's interval between two (Slack allows about one
 * message a second per webhook), and no request before a 429's Retry-After has
 * passed. The target's row keeps it (`not_before`, `busy_until`, epoch ms), taken
 * with conditional UPDATEs as the relay quota shares its windows, so two processes
 * never post to one target faster than its interval; this process remembers the
 * same in memory, to ask the database only when it may be its turn. The turn is
 * taken only while the row is enabled: a target another process disabled (a 404/410)
 * since this process loaded it is never posted to.
 *
 * A target that may not send now makes only its own delivery wait (no attempt
 * spent); the channels are told to look again when it may (ChannelsChangedEvent),
 * so a slow or dead target never holds back mail or other targets.
 */
@Injectable()
export class TargetPacing {
  private readonly logger = new Logger('NotificationTargets');
  private readonly targets = new Map<number, { busy: boolean; nextAt: number; lease: number }>();
  /** When a wake-up is already planned (one timer for many targets waiting for the same moment). */
  private readonly wakes = new Set<number>();
  private readonly leaseMs: number;
  /** Takes the turn: enabled, not busy (or its holder's lease ran out) and not before its time. */
  private readonly claim: string;
  private readonly read: string;
  /** The turn ends: not before `now + interval` (or later, as it was), not busy — if it is still ours. */
  private readonly release: string;
  /** Not before `until` (or later, as it was). */
  private readonly hold: string;

  constructor(
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    private readonly transactions: Transactions,
    @InjectDataSource() private readonly dataSource: DataSource,
    config: HeraldConfig,
  ) {
    this.leaseMs = config.webhooks.timeoutMs + LEASE_MARGIN_MS;
    const sql = new Sql(dataSource);
    const table = sql.table(NotificationTargetEntity);
    const later = (value: string) => `CASE WHEN not_before IS NULL OR not_before < ${value} THEN ${value} ELSE not_before END`;
    this.claim = sql.statement(`UPDATE ${table} SET busy_until = ? WHERE id = ? AND enabled = TRUE AND (not_before IS NULL OR not_before <= ?) AND (busy_until IS NULL OR busy_until <= ?) RETURNING id`);
    this.read = sql.statement(`SELECT not_before AS "notBefore", busy_until AS "busyUntil", enabled, disabled_reason AS "disabledReason" FROM ${table} WHERE id = ?`);
    this.release = sql.statement(`UPDATE ${table} SET busy_until = NULL, not_before = ${later('?')} WHERE id = ? AND busy_until = ?`);
    this.hold = sql.statement(`UPDATE ${table} SET not_before = ${later('?')} WHERE id = ?`);
  }

  /** Takes the target's turn; or says until when it must wait (and plans a look then), or that it is disabled. */
  async take(targetId: number): Promise<TargetTurn> {
    const state = this.targets.get(targetId) ?? { busy: false, nextAt: 0, lease: 0 };
    this.targets.set(targetId, state);
    const now = this.clock.now();
    if (!state.busy && now >= state.nextAt) {
      state.busy = true;
      const lease = now + this.leaseMs;
      try {
        if (await this.claimed(targetId, lease, now)) {
          state.lease = lease;
          return undefined;
        }
      } catch (error) {
        // The database cannot say: wait a second rather than risk posting beside another process.
        this.logger.warn(`could not take target ${targetId}'s turn: ${(error as Error).message.split('\n')[0]}`);
        state.busy = false;
        return this.waitFor(now + 1000, false);
      }
      state.busy = false;
      const row = await this.shared(targetId).catch(() => undefined);
      // Disabled since this process loaded it (another process met a 404/410): no turn, no wait.
      if (row && !row.enabled) return { disabled: row.disabledReason ?? 'disabled' };
      // Another process posts to it, or posted within its interval: wait for its time, or look again a second from now.
      const notBefore = row?.notBefore ?? 0;
      const busy = (row?.busyUntil ?? 0) > now;
      state.nextAt = Math.max(state.nextAt, notBefore);
      return this.waitFor(busy ? Math.max(notBefore, now + 1000) : Math.max(notBefore, now + 1), busy);
    }
    // Busy here: its request ends within the timeout; look again a second from now.
    return this.waitFor(state.busy ? Math.max(state.nextAt, now + 1000) : state.nextAt, state.busy);
  }

  /** Its request ended: the next one no sooner than `intervalMs` from now, in every process. Never rejects. */
  async done(targetId: number, intervalMs: number): Promise<void> {
    const state = this.targets.get(targetId);
    if (!state) return;
    state.busy = false;
    state.nextAt = Math.max(state.nextAt, this.clock.now() + intervalMs);
    const next = state.nextAt;
    await this.transactions.exclusive(() => this.dataSource.query(this.release, [next, next, targetId, state.lease])).catch((error: Error) => {
      this.logger.warn(`could not end target ${targetId}'s turn (the next process waits for its lease): ${error.message.split('\n')[0]}`);
    });
  }

  /** It asked to slow down (429): nothing before `until`, in every process. Never rejects. */
  async slowDown(targetId: number, until: number): Promise<void> {
    const state = this.targets.get(targetId) ?? { busy: false, nextAt: 0, lease: 0 };
    state.nextAt = Math.max(state.nextAt, until);
    this.targets.set(targetId, state);
    this.wakeAt(until);
    await this.transactions.exclusive(() => this.dataSource.query(this.hold, [until, until, targetId])).catch((error: Error) => {
      this.logger.warn(`could not share target ${targetId}'s Retry-After: ${error.message.split('\n')[0]}`);
    });
  }

  /** Forgets a target (removed). */
  forget(targetId: number): void {
    this.targets.delete(targetId);
  }

  private async claimed(targetId: number, lease: number, now: number): Promise<boolean> {
    const result: unknown = await this.transactions.exclusive(() => this.dataSource.query(this.claim, [lease, targetId, now, now]));
    return affected(result) > 0;
  }

  private async shared(targetId: number): Promise<{ notBefore: number; busyUntil: number; enabled: boolean; disabledReason: string | null } | undefined> {
    type Row = { notBefore: string | number | null; busyUntil: string | number | null; enabled: boolean | number; disabledReason: string | null };
    const [row] = (await this.dataSource.query(this.read, [targetId])) as Row[];
    // enabled: a boolean from PostgreSQL, 0 or 1 from SQLite.
    return row && { notBefore: Number(row.notBefore ?? 0), busyUntil: Number(row.busyUntil ?? 0), enabled: Number(row.enabled) === 1, disabledReason: row.disabledReason };
  }

  private waitFor(waitUntil: number, busy: boolean): { waitUntil: number; busy: boolean } {
    this.wakeAt(waitUntil);
    return { waitUntil, busy };
  }

  private wakeAt(at: number): void {
    const second = Math.ceil(at / 1000) * 1000;
    if (this.wakes.has(second)) return;
    this.wakes.add(second);
    void this.clock.sleep(Math.max(0, second - this.clock.now())).then(() => {
      this.wakes.delete(second);
      void this.events.emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    });
  }
}

/** Rows an UPDATE … RETURNING changed: pg (through TypeORM) gives `[rows, count]`, better-sqlite3 the rows. */
function affected(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}
