import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type JobEvent, JobEventType } from '@herald/contracts';
import { Sql } from '../../database/sql';
import { type JobHistoryNote, NotificationType } from '../../event-types/notification-type';
import { JobOutcome, JobOutcomeEntity } from '../entities/job-outcome.entity';

type JobOutcomeEvent = Extract<JobEvent, { type: JobEventType.JOB_FAILED | JobEventType.JOB_SUCCEEDED }>;
type State = Pick<JobOutcomeEntity, 'lastOutcome' | 'lastOccurredAt' | 'failuresInRow' | 'firstFailureAt'>;

const isOutcome = (event: JobEvent): event is JobOutcomeEvent => event.type === JobEventType.JOB_FAILED || event.type === JobEventType.JOB_SUCCEEDED;
const keyOf = (event: JobOutcomeEvent) => `${event.application.id}\n${event.job.kind}`;
const instant = (iso: string) => new Date(iso).toISOString();

/**
 * Herald's memory of job outcomes (job_outcomes), updated in the planner's
 * transaction: per application and job kind, the latest outcome by `occurredAt`
 * and the failures in a row. It says what an event means beyond itself — a
 * failure after failures ("still failing, n-th in a row"), a success after
 * failures (delivered as JOB_RECOVERED, "fixed").
 *
 * Events are applied in the order they happened, not the order they arrived:
 * within a batch they are sorted by `occurredAt`; an event older than the
 * outcome already recorded (it came late) changes nothing and says nothing
 * beyond itself — so a late failure never turns a later success into a "fix",
 * nor a late success ends a row of failures.
 */
@Injectable()
export class JobHistory {
  /** Creates the row if missing and returns it, locked until the transaction ends (a no-op update on conflict). */
  private readonly lock: string;
  private readonly write: string;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const sql = new Sql(dataSource);
    const table = sql.table(JobOutcomeEntity);
    this.lock = sql.statement(
      `INSERT INTO ${table} (application_id, job_kind, last_outcome, last_occurred_at, failures_in_row, first_failure_at)
       VALUES (?, ?, '${JobOutcome.SUCCEEDED}', '', 0, NULL)
       ON CONFLICT (application_id, job_kind) DO UPDATE SET failures_in_row = ${table}.failures_in_row
       RETURNING last_outcome AS "lastOutcome", last_occurred_at AS "lastOccurredAt", failures_in_row AS "failuresInRow", first_failure_at AS "firstFailureAt"`,
    );
    this.write = sql.statement(
      `UPDATE ${table} SET last_outcome = ?, last_occurred_at = ?, failures_in_row = ?, first_failure_at = ? WHERE application_id = ? AND job_kind = ?`,
    );
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
      const rows = (await manager.query(this.lock, [applicationId, jobKind])) as State[];
      const before = { ...rows[0], failuresInRow: Number(rows[0].failuresInRow) };
      const state = { ...before };
      const inOrder = byKey.get(key)!.map((event) => ({ event, at: instant(event.occurredAt) })).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      for (const { event, at } of inOrder) {
        if (at < state.lastOccurredAt) continue; // came late: the history has moved on
        if (event.type === JobEventType.JOB_FAILED) {
          if (state.lastOutcome !== JobOutcome.FAILED) Object.assign(state, { failuresInRow: 0, firstFailureAt: at });
          Object.assign(state, { lastOutcome: JobOutcome.FAILED, failuresInRow: state.failuresInRow + 1 });
          notes.set(event.id, { failuresInRow: state.failuresInRow, firstFailureAt: state.firstFailureAt! });
        } else {
          if (state.lastOutcome === JobOutcome.FAILED) {
            notes.set(event.id, { deliveredAs: NotificationType.JOB_RECOVERED, failuresInRow: state.failuresInRow, firstFailureAt: state.firstFailureAt! });
          }
          Object.assign(state, { lastOutcome: JobOutcome.SUCCEEDED, failuresInRow: 0, firstFailureAt: null });
        }
        state.lastOccurredAt = at;
      }
      if (state.lastOccurredAt !== before.lastOccurredAt) {
        await manager.query(this.write, [state.lastOutcome, state.lastOccurredAt, state.failuresInRow, state.firstFailureAt, applicationId, jobKind]);
      }
    }
    return notes;
  }
}
