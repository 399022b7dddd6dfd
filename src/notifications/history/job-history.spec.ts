import type { DataSource } from 'typeorm';
import type { JobEvent } from '@herald/contracts';
import { openDatabase, testDatabases } from '../../../test/support/memory-database';
import { roundTrips } from '../../../test/support/round-trips';
import { itIf, NEEDS_POSTGRES } from '../../../test/support/skipped-suites';
import type { Transactions } from '../../database/transactions';
import { NotificationType } from '../../event-types/notification-type';
import { JobFailureEntity } from '../entities/job-failure.entity';
import { JobOutcomeEntity } from '../entities/job-outcome.entity';
import { JobHistory } from './job-history';

let seq = 0;
/** An outcome of the analysis of app-1, happening `minute` minutes after 09:00. */
const outcome = (type: 'JOB_FAILED' | 'JOB_SUCCEEDED', minute: number) => {
  const at = new Date(Date.UTC(2026, 10, 24, 9, minute)).toISOString();
  return {
    schemaVersion: 1,
    id: `h-${++seq}`,
    type,
    occurredAt: at,
    application: { id: 'app-1', name: 'App 1' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: at, endedAt: at },
    ...(type === 'JOB_FAILED' ? { error: { message: 'Out of memory' } } : {}),
  } as unknown as JobEvent;
};
const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 9, minute)).toISOString();

/** The job history on Herald's real schema (SQLite in memory, and PostgreSQL when given). */
describe.each(testDatabases('herald_job_history'))('JobHistory ($name)', ({ name, database: databaseOf }) => {
  let dataSource: DataSource;
  let transactions: Transactions;
  let history: JobHistory;
  const record = (events: JobEvent[]) => transactions.run((manager) => history.record(events, manager));

  beforeEach(async () => {
    ({ dataSource, transactions } = await openDatabase(databaseOf(), [JobOutcomeEntity, JobFailureEntity]));
    history = new JobHistory(dataSource);
  });
  afterEach(async () => {
    const options = dataSource.options;
    if (options.type === 'postgres') await dataSource.query(`DROP SCHEMA "${options.schema}" CASCADE`);
    await dataSource.destroy();
  });

  it('places the late outcomes of one batch where they happened, each after those before it', async () => {
    await record([1, 5, 9].map((m) => outcome('JOB_FAILED', m)));
    // Happened 9:02, 9:03 (failed), 9:04 (succeeded: the row ends there), 9:06, 9:07 (failed): all before 9:09, known.
    const late = [outcome('JOB_FAILED', 7), outcome('JOB_FAILED', 2), outcome('JOB_SUCCEEDED', 4), outcome('JOB_FAILED', 3), outcome('JOB_FAILED', 6)];
    const notes = await record(late);
    expect(late.map((e) => notes.get(e.id) ?? null)).toEqual([
      { failuresInRow: 3, firstFailureAt: at(5) }, // 9:05, 9:06, 9:07
      { failuresInRow: 2, firstFailureAt: at(1) },
      null, // late, and failures after it are known: no fix
      { failuresInRow: 3, firstFailureAt: at(1) },
      { failuresInRow: 2, firstFailureAt: at(5) }, // 9:05, 9:06: the row since 9:04
    ]);
    // The row now: 9:05, 9:06, 9:07, 9:09; the next failure is its 5th, and the fix ends it.
    const [next, fix] = [outcome('JOB_FAILED', 10), outcome('JOB_SUCCEEDED', 11)];
    const after = await record([next, fix]);
    expect(after.get(next.id)).toEqual({ failuresInRow: 5, firstFailureAt: at(5) });
    expect(after.get(fix.id)).toEqual({ deliveredAs: NotificationType.JOB_RECOVERED, failuresInRow: 5, firstFailureAt: at(5) });
    expect(await dataSource.getRepository(JobFailureEntity).count()).toBe(0);
  });

  itIf(name === 'postgres', NEEDS_POSTGRES)('places late failures with as many round trips as failures in order, plus one', async () => {
    await record([outcome('JOB_FAILED', 30)]);
    const trips = (events: JobEvent[]) => transactions.run((manager) => roundTrips(manager, () => history.record(events, manager)));
    const inOrder = await trips([31, 32, 33, 34, 35].map((m) => outcome('JOB_FAILED', m)));
    const late = await trips([21, 22, 23, 24, 25].map((m) => outcome('JOB_FAILED', m)));
    expect(late.result.get(late.result.keys().next().value!)).toEqual({ failuresInRow: 1, firstFailureAt: at(21) });
    expect(late.trips).toBe(inOrder.trips + 1);
  });
});
