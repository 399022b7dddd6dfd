import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { isDatabaseUnavailable, isStorageFull } from './database-errors';

export type DatabaseState = 'up' | 'full' | 'down';

/**
 * Whether the database takes writes. The first write that fails because the disk
 * is full (or the database cannot be reached) turns the state; only the write
 * probe (DatabaseProbe: a write larger than any event) turns it back — a small
 * write that still fits proves nothing, and the state must not flap while the
 * disk is nearly full. Each change is logged once, not once per failed write.
 * Errors that concern one write only (a constraint, bad data) change nothing.
 */
@Injectable()
export class DatabaseHealth {
  private readonly logger = new Logger('Database');
  private current: DatabaseState = 'up';
  private since: Date;
  private reason?: string;

  constructor(private readonly clock: Clock) {
    this.since = clock.date();
  }

  get state(): DatabaseState {
    return this.current;
  }

  /** Since when the state holds, and (when not up) the database's own words for why. */
  get detail(): { since: Date; reason?: string } {
    return { since: this.since, reason: this.reason };
  }

  /** The write probe succeeded. */
  probeSucceeded(): void {
    if (this.current === 'up') return;
    this.logger.log(`the database takes writes again (it was ${this.current} since ${this.since.toISOString()})`);
    this.change('up');
  }

  writeFailed(error: unknown): void {
    if (!isDatabaseUnavailable(error)) return;
    const state: DatabaseState = isStorageFull(error) ? 'full' : 'down';
    if (state === this.current) return;
    const reason = reasonOf(error);
    this.logger.error(
      state === 'full'
        ? `the database is full: writes fail (${reason}). Events are refused and publishers must retry; outcomes wait. Free disk space (or raise the database's size limit): Herald resumes by itself.`
        : `the database does not take writes: ${reason}. Events are refused and publishers must retry; Herald resumes by itself when it is back.`,
    );
    this.change(state, reason);
  }

  private change(state: DatabaseState, reason?: string): void {
    this.current = state;
    this.since = this.clock.date();
    this.reason = reason;
  }
}

/** The driver's code and message: never a statement or its parameters. */
function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } };
  const code = e.driverError?.code ?? e.code;
  const message = String(e.driverError?.message ?? e.message ?? error).split('\n')[0].slice(0, 200);
  return code ? `${String(code)}: ${message}` : message;
}
