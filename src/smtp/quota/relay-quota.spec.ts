import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../clock/manual-clock';
import { DatabaseHealth } from '../../database/database-health';
import { MIGRATIONS } from '../../database/migrations';
import { Transactions } from '../../database/transactions';
import { RelayQuota } from './relay-quota';
import { RelayQuotaUsageEntity } from './relay-quota-usage.entity';

/**
 * The relay's quota on a real SQLite database, with many sends asking at once.
 * (Several processes share it through PostgreSQL: test/relay-quota.e2e-spec.ts.)
 */
describe('RelayQuota', () => {
  let dir: string;
  const sources: DataSource[] = [];
  let a: RelayQuota;
  let b: RelayQuota;
  const T0 = Date.UTC(2026, 10, 24, 9, 30, 0);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-quota-'));
    const dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'herald.sqlite'),
      entities: [RelayQuotaUsageEntity],
      migrations: MIGRATIONS,
      migrationsRun: true,
    }).initialize();
    sources.push(dataSource);
    const transactions = new Transactions(dataSource, new DatabaseHealth(new ManualClock()));
    // Two dispatch workers with a quota each over the one count.
    a = new RelayQuota(dataSource, transactions);
    b = new RelayQuota(dataSource, transactions);
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.destroy()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('grants everything when the relay has no quota', async () => {
    expect(await a.reserve({ messagesPerMinute: null, recipientsPerDay: null }, T0)).toEqual({ granted: true });
  });

  it('shares the messages of a minute between senders, then says when the next minute starts', async () => {
    const limits = { messagesPerMinute: 30, recipientsPerDay: null };
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserve(limits, T0 + 1_000)));
    expect(answers.filter((x) => x.granted)).toHaveLength(30);
    expect(answers.find((x) => !x.granted)).toEqual({ granted: false, until: new Date(T0 + 60_000), reason: 'relay quota: 30 messages a minute' });
    expect(await a.reserve(limits, T0 + 60_000)).toEqual({ granted: true }); // the next minute
  });

  it('counts recipients per UTC day, and gives back the minute it did not use', async () => {
    const limits = { messagesPerMinute: 5, recipientsPerDay: 3 };
    for (let i = 0; i < 3; i++) expect(await a.reserve(limits, T0)).toEqual({ granted: true });
    expect(await b.reserve(limits, T0)).toEqual({ granted: false, until: new Date(Date.UTC(2026, 10, 25)), reason: 'relay quota: 3 recipients a day' });
    // The refused message did not spend one of the minute's 5: two are left.
    expect(await b.reserve({ messagesPerMinute: 5, recipientsPerDay: null }, T0)).toEqual({ granted: true });
    expect(await b.reserve({ messagesPerMinute: 5, recipientsPerDay: null }, T0)).toEqual({ granted: true });
    expect((await b.reserve({ messagesPerMinute: 5, recipientsPerDay: null }, T0)).granted).toBe(false);
    expect(await a.reserve(limits, Date.UTC(2026, 10, 25, 0, 0, 1))).toEqual({ granted: true });
  });

  it('forgets windows that are over', async () => {
    const limits = { messagesPerMinute: 10, recipientsPerDay: 100 };
    await a.reserve(limits, T0);
    await a.reserve(limits, T0 + 2 * 86_400_000);
    const periods = (await sources[0].query('SELECT period FROM relay_quota_usage ORDER BY period')) as { period: string }[];
    expect(periods.map((p) => p.period)).toEqual(['d:2026-11-26', `m:${String(Math.floor((T0 + 2 * 86_400_000) / 60_000)).padStart(12, '0')}`]);
  });
});
