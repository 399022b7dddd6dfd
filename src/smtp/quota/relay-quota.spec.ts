import { openDatabase, testDatabases } from '../../../test/support/memory-database';
import type { DataSource } from 'typeorm';
import { type QuotaLimits, RelayQuota } from './relay-quota';
import { RelayQuotaUsageEntity } from './relay-quota-usage.entity';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 24, 9, 30, 0);

/** The most grants any window of `windowMs` holds (each window ending at a grant: where the count peaks). */
function busiestWindow(granted: number[], windowMs: number): number {
  return Math.max(0, ...granted.map((end) => granted.filter((t) => t > end - windowMs && t <= end).length));
}

/**
 * The relay's quota on a real database, asked by two senders at once. On PostgreSQL
 * the two are two connections pools (two processes); on SQLite one file's writer.
 */
describe.each(testDatabases('herald_quota'))('RelayQuota: sliding windows ($name)', ({ name, database: databaseOf }) => {
  const sources: DataSource[] = [];
  let a: RelayQuota;
  let b: RelayQuota;

  beforeEach(async () => {
    const database = databaseOf();
    const first = await openDatabase(database, [RelayQuotaUsageEntity]);
    const second = name === 'postgres' ? await openDatabase(database, [RelayQuotaUsageEntity]) : first;
    sources.push(first.dataSource, ...(second === first ? [] : [second.dataSource]));
    a = new RelayQuota(first.dataSource, first.transactions);
    b = new RelayQuota(second.dataSource, second.transactions);
  });
  afterEach(async () => {
    const schema = (sources[0].options as { schema?: string }).schema;
    if (schema) await sources[0].query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await Promise.all(sources.splice(0).map((s) => s.destroy()));
  });

  it('grants everything when the relay has no quota', async () => {
    expect(await a.reserve({ messagesPerMinute: null, recipientsPerDay: null }, T0)).toEqual({ granted: true });
  });

  it("the issue's failure: 30 at the end of a clock minute, then a burst at the start of the next — none of it, since the rolling minute is full", async () => {
    const limits = { messagesPerMinute: 30, recipientsPerDay: null };
    const first = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserve(limits, T0 + 59_000)));
    expect(first.filter((x) => x.granted)).toHaveLength(30);
    // Counted in clock minutes, these 30 would have gone at once (60 in a rolling minute).
    const next = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve(limits, T0 + 61_000)));
    expect(next.filter((x) => x.granted)).toHaveLength(0);
    // Free again once the second they went in has left the window (a minute and 3 s of margin).
    expect(next[0]).toEqual({ granted: false, window: 'minute', until: new Date(T0 + 60_000 + 63_000), reason: 'relay quota: 30 messages a minute' });
    expect((await a.reserve(limits, T0 + 122_999)).granted).toBe(false);
    expect(await a.reserve(limits, T0 + 123_000)).toEqual({ granted: true });
  });

  it('a sender asking every 250 ms for 5 minutes: no window of a minute ever holds more than the quota, and the quota is used', async () => {
    const limits = { messagesPerMinute: 30, recipientsPerDay: null };
    const granted: number[] = [];
    for (let t = T0 + 37_250; t < T0 + 37_250 + 5 * MINUTE; t += 250) {
      const answers = await Promise.all([a.reserve(limits, t), b.reserve(limits, t)]);
      for (const answer of answers) if (answer.granted) granted.push(t);
    }
    expect(busiestWindow(granted, MINUTE)).toBe(30);
    // 30 every 63 s: 5 minutes hold at least four windows' worth.
    expect(granted.length).toBeGreaterThanOrEqual(4 * 30);
  });

  it('counts recipients in a rolling 24 hours, and a refused message takes nothing of the minute', async () => {
    const limits: QuotaLimits = { messagesPerMinute: 5, recipientsPerDay: 3 };
    // 2 today at 23:59, 1 just after midnight: the fourth waits for the first to be 24 hours old, not for midnight.
    const evening = Date.UTC(2026, 10, 24, 23, 59, 0);
    expect(await a.reserve(limits, evening)).toEqual({ granted: true });
    expect(await a.reserve(limits, evening)).toEqual({ granted: true });
    expect(await a.reserve(limits, evening + 2 * MINUTE)).toEqual({ granted: true });
    const refused = await b.reserve(limits, evening + 3 * MINUTE);
    expect(refused).toEqual({ granted: false, window: 'day', until: new Date(evening + MINUTE + DAY), reason: 'relay quota: 3 recipients a day' });
    // The refused message did not spend one of the minute's 5 (one went at +2 min): four are left.
    const minuteOnly = { messagesPerMinute: 5, recipientsPerDay: null };
    for (let i = 0; i < 4; i++) expect(await b.reserve(minuteOnly, evening + 3 * MINUTE + 1)).toEqual({ granted: true });
    expect((await b.reserve(minuteOnly, evening + 3 * MINUTE + 1)).granted).toBe(false);
    // The day after: the two of 23:59 have left the window; the one of 00:01 and the four of 00:02 (counted, though no day quota was asked then) have not.
    expect(await a.reserve({ messagesPerMinute: 5, recipientsPerDay: 7 }, evening + MINUTE + DAY)).toEqual({ granted: true });
    expect(await a.reserve({ messagesPerMinute: 5, recipientsPerDay: 7 }, evening + MINUTE + DAY)).toEqual({ granted: true });
    expect((await a.reserve({ messagesPerMinute: 5, recipientsPerDay: 7 }, evening + MINUTE + DAY)).granted).toBe(false);
  });

  it('sends it did not grant (no quota then) count once recorded: what a slowdown starts from', async () => {
    await a.record([T0 - 10_000, T0 - 10_000, T0 - 5_000]);
    expect(await b.messagesInWindow(T0)).toBe(3);
    expect((await b.reserve({ messagesPerMinute: 3, recipientsPerDay: null }, T0)).granted).toBe(false);
    expect(await b.messagesInWindow(T0 + 10 * MINUTE)).toBe(0);
  });

  it("the standby relay's counts are its own: the primary's full minute and day leave it whole, and neither forgets the other's buckets", async () => {
    const standby = new RelayQuota(sources[0], a['transactions'], undefined, 'standby.');
    const limits = { messagesPerMinute: 2, recipientsPerDay: 3 };
    expect(await a.reserve(limits, T0)).toEqual({ granted: true });
    expect(await a.reserve(limits, T0, 2)).toEqual({ granted: true });
    expect((await a.reserve(limits, T0)).granted).toBe(false); // the primary's minute is full
    expect(await standby.reserve(limits, T0, 3)).toEqual({ granted: true }); // the standby's day is its own
    expect(await standby.reserve({ messagesPerMinute: 2, recipientsPerDay: null }, T0)).toEqual({ granted: true });
    expect(await standby.reserve({ messagesPerMinute: 2, recipientsPerDay: null }, T0)).toMatchObject({ granted: false, window: 'minute', until: new Date(T0 + 1_000 + 63_000) });
    expect(await standby.messagesInWindow(T0)).toBe(2);
    // A grant a day later prunes only its own relay's old buckets.
    await a.reserve(limits, T0 + 2 * DAY);
    expect(await standby.messagesInWindow(T0)).toBe(2);
    expect(await a.messagesInWindow(T0 + 2 * DAY)).toBe(1);
  });

  it('forgets buckets out of both windows', async () => {
    const limits = { messagesPerMinute: 10, recipientsPerDay: 100 };
    await a.reserve(limits, T0);
    await a.reserve(limits, T0 + 2 * DAY);
    const periods = (await sources[0].query(`SELECT period FROM ${name === 'postgres' ? `"${(sources[0].options as { schema: string }).schema}".` : ''}relay_quota_usage ORDER BY period`)) as { period: string }[];
    const pad = (n: number) => String(n).padStart(14, '0');
    expect(periods.map((p) => p.period)).toEqual(['lock', `r:${pad(Math.floor((T0 + 2 * DAY) / MINUTE))}`, `w:${pad(Math.floor((T0 + 2 * DAY) / 1000))}`]);
  });
});
