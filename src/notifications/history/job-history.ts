import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type JobEvent, JobEventType } from '@herald/contracts';
import { Sql, type SqlStatement } from '../../database/sql';
import { type JobHistoryNote, NotificationType } from '../../event-types/notification-type';
import { JobFailureEntity } from '../entities/job-failure.entity';
import { JobOutcome, JobOutcomeEntity } from '../entities/job-outcome.entity';
import { together } from '../../database/together';

type JobOutcomeEvent = Extract<JobEvent, { type: JobEventType.JOB_FAILED | JobEventType.JOB_SUCCEEDED }>;
type State = Pick<JobOutcomeEntity, 'lastOutcome' | 'lastOccurredAt' | 'failuresInRow' | 'firstFailureAt' | 'lastSuccessAt'>;

const isOutcome = (event: JobEvent): event is JobOutcomeEvent => event.type === JobEventType.JOB_FAILED || event.type === JobEventType.JOB_SUCCEEDED;
const keyOf = (event: JobOutcomeEvent) => `${event.application.id}\n${event.job.kind}`;
const instant = (iso: string) => new Date(iso).toISOString();

/**
 * Herald's memory of job outcomes, updated in the planner's transaction: per
 * application and job kind (job_outcomes) the latest outcome by `occurredAt`,
 * the latest success, and the failures since it — the current row — each at
 * its time (job_failures). It says what an event means beyond itself — a failure
 * after failures ("still failing, n-th in a row"), a success after failures
 * (delivered as JOB_RECOVERED, "fixed").
 *
 * Outcomes count in the order they happened, whatever the order they arrive in
 * (within a batch they are taken by `occurredAt`; ties, in the order they came):
 * - a failure after the latest success joins the row where it happened, and is
 *   the n-th of the row up to it (with the first of them); one older than the
 *   latest success says nothing beyond itself: the row it belonged to was fixed;
 * - a success newer than every outcome known, after failures, is the fix;
 * - a success that arrives late is never a fix: a failure after it is known (it
 *   is not fixed) or a success after it was (the fix was told). Newer than the
 *   latest success, it ends the row where it happened: the failures before it
 *   leave the row, and the next failure counts from it.
 */
@Injectable()
export class JobHistory {
  /** Creates the row if missing and returns it, locked until the transaction ends (a no-op update on conflict). */
  private readonly lock: SqlStatement;
  private readonly write: SqlStatement;
  private readonly addFailures: SqlStatement;
  /**
   * The row's failures as late outcomes need them, read once per key before any is written: how many
   * up to the earliest late outcome's instant (a row with no `at`), and each one after it.
   */
  private readonly failuresAround: SqlStatement;
  /** Ends the row at an instant: the failures up to it leave. */
  private readonly endRowAt: SqlStatement;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const sql = new Sql(dataSource);
    const table = sql.table(JobOutcomeEntity);
    const failures = sql.table(JobFailureEntity);
    this.lock = sql.prepare(
      `INSERT INTO ${table} (application_id, job_kind, last_outcome, last_occurred_at, failures_in_row, first_failure_at, last_success_at)
       VALUES (?, ?, '${JobOutcome.SUCCEEDED}', '', 0, NULL, NULL)
       ON CONFLICT (application_id, job_kind) DO UPDATE SET failures_in_row = ${table}.failures_in_row
       RETURNING last_outcome AS "lastOutcome", last_occurred_at AS "lastOccurredAt", failures_in_row AS "failuresInRow",
                 first_failure_at AS "firstFailureAt", last_success_at AS "lastSuccessAt"`,
    );
    this.write = sql.prepare(
      `UPDATE ${table} SET last_outcome = ?, last_occurred_at = ?, failures_in_row = ?, first_failure_at = ?, last_success_at = ? WHERE application_id = ? AND job_kind = ?`,
    );
    // The failures of a key in one statement, from a JSON array (`WHERE true`: SQLite reads an ON after a FROM as a join's).
    this.addFailures = sql.prepare(
      `INSERT INTO ${failures} (application_id, job_kind, occurred_at, event_id)
       SELECT ?, ?, v.occurred_at, v.event_id FROM ${sql.jsonRows({ occurred_at: 'varchar', event_id: 'varchar' })} WHERE true ON CONFLICT DO NOTHING`,
    );
    this.failuresAround = sql.prepare(
      `SELECT COUNT(*) AS "count", NULL AS "at" FROM ${failures} WHERE application_id = ? AND job_kind = ? AND occurred_at <= ?
       UNION ALL SELECT 1, occurred_at FROM ${failures} WHERE application_id = ? AND job_kind = ? AND occurred_at > ?`,
    );
    this.endRowAt = sql.prepare(`DELETE FROM ${failures} WHERE application_id = ? AND job_kind = ? AND occurred_at <= ?`);
  }

  /**
   * Records the outcomes among these events and returns what the history says
   * about each event that has something to say (by event id). Keys are locked in
   * a fixed order, so two processes recording the same jobs wait, not deadlock.
   */
  async record(events: JobEvent[], manager: EntityManager): Promise<Map<string, JobHistoryNote>> {
    const notes = new Map<string, JobHistoryNote>();
    const byKey = new Map<string, JobOutcomeEvent[]>();
    for (const event of events) {
      if (!isOutcome(event)) continue;
      const key = keyOf(event);
      byKey.set(key, [...(byKey.get(key) ?? []), event]);
    }
    for (const key of [...byKey.keys()].sort()) {
      const [applicationId, jobKind] = key.split('\n');
      const rows = (await this.lock.query(manager, [applicationId, jobKind])) as State[];
      const before = { ...rows[0], failuresInRow: Number(rows[0].failuresInRow) };
      const state = { ...before };
      // Failures are written together: before a success ends the row, and at the end.
      let unwritten: Array<{ occurred_at: string; event_id: string }> = [];
      const writeFailures = async () => {
        if (!unwritten.length) return;
        await this.addFailures.query(manager, [applicationId, jobKind, JSON.stringify(unwritten)]);
        unwritten = [];
      };
      const inOrder = byKey.get(key)!.map((event) => ({ event, at: instant(event.occurredAt) })).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      // Outcomes older than the latest known come first in order. They are placed among the row's failures
      // as the database has them before this batch (read once), and the batch's own before each: the
      // failures placed since the last late success ended the row (`since`), each late failure included.
      const earliestLate = inOrder.find(({ at }) => at < before.lastOccurredAt && !(before.lastSuccessAt !== null && at < before.lastSuccessAt));
      const known = earliestLate && (await this.knownFailures(manager, applicationId, jobKind, earliestLate.at));
      let since: string | undefined;
      let placedSince = 0;
      for (const { event, at } of inOrder) {
        const late = at < state.lastOccurredAt;
        if (state.lastSuccessAt !== null && at < state.lastSuccessAt) continue; // before the latest success: that row was fixed
        if (event.type === JobEventType.JOB_FAILED) {
          unwritten.push({ occurred_at: at, event_id: event.id });
          // In order, the row so far is known; a late failure is counted among those up to it.
          const inRow = late ? known!.upTo(at) - (since === undefined ? 0 : known!.upTo(since)) + ++placedSince : state.failuresInRow + 1;
          const first = state.firstFailureAt !== null && state.firstFailureAt < at ? state.firstFailureAt : at;
          notes.set(event.id, { failuresInRow: inRow, firstFailureAt: first });
          Object.assign(state, { failuresInRow: state.failuresInRow + 1, firstFailureAt: first });
          if (!late) Object.assign(state, { lastOutcome: JobOutcome.FAILED, lastOccurredAt: at });
        } else if (!late) {
          if (state.failuresInRow > 0) {
            notes.set(event.id, { deliveredAs: NotificationType.JOB_RECOVERED, failuresInRow: state.failuresInRow, firstFailureAt: state.firstFailureAt! });
            await writeFailures();
            await this.endRowAt.query(manager, [applicationId, jobKind, at]);
          }
          Object.assign(state, { lastOutcome: JobOutcome.SUCCEEDED, lastOccurredAt: at, lastSuccessAt: at, failuresInRow: 0, firstFailureAt: null });
        } else {
          // Late, but after the latest success: the row ends here; the failures after it are the row now
          // (none of the batch's: those placed so far are not after it).
          await writeFailures();
          await this.endRowAt.query(manager, [applicationId, jobKind, at]);
          const left = known!.after(at);
          Object.assign(state, { lastSuccessAt: at, failuresInRow: left.length, firstFailureAt: left[0] ?? null });
          since = at;
          placedSince = 0;
        }
      }
      // The last failures and the row's new state, written together (one round trip on PostgreSQL).
      const changed = (Object.keys(state) as Array<keyof State>).some((k) => state[k] !== before[k]);
      await together([
        writeFailures(),
        changed && this.write.query(manager, [state.lastOutcome, state.lastOccurredAt, state.failuresInRow, state.firstFailureAt, state.lastSuccessAt, applicationId, jobKind]),
      ]);
    }
    return notes;
  }

  /**
   * The row's failures before this batch, from an instant on: how many up to each later instant, and
   * which are after one (in order).
   */
  private async knownFailures(manager: EntityManager, applicationId: string, jobKind: string, from: string) {
    const rows = (await this.failuresAround.query(manager, [applicationId, jobKind, from, applicationId, jobKind, from])) as Array<{ count: number | string; at: string | null }>;
    const upToFrom = Number(rows.find((r) => r.at === null)!.count);
    const later = rows.flatMap((r) => (r.at === null ? [] : [r.at])).sort();
    return {
      upTo: (at: string) => upToFrom + later.filter((f) => f <= at).length,
      after: (at: string) => later.filter((f) => f > at),
    };
  }
}
