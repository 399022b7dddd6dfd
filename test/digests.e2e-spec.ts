import { NotificationsCore } from './support/notifications-core';
import { removeStorage, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually } from './support/people';
import { describeIf, NEEDS_POSTGRES } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';
import { JobEventIngestionService } from '../src/job-events/ingestion/job-event-ingestion.service';
import { NotificationType } from '../src/event-types/notification-type';
import { Digests } from '../src/notifications/digests/digests';
import { DigestEntity } from '../src/notifications/entities/digest.entity';
import { DigestEntryEntity } from '../src/notifications/entities/digest-entry.entity';
import { NotificationFrequency } from '../src/users/frequency/notification-frequency';
import { UsersService } from '../src/users/users.service';

const MINUTE = 60_000;
/** The clock jumps a day at a time: the dispatcher's and the settings' timers at most hourly (a 5-second one would run 17,280 times a day). */
const QUIET_TIMERS = { DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' };
const HOUR = 60 * MINUTE;
let seq = 0;
const failedAt = (at: number, applicationId = 'billing', message = 'Out of memory') => ({
  schemaVersion: 1,
  id: `dge-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: new Date(at).toISOString(),
  application: { id: applicationId, name: `App ${applicationId}` },
  job: { id: `job-${seq}`, kind: 'analysis', startedAt: new Date(at - MINUTE).toISOString(), endedAt: new Date(at).toISOString() },
  error: { message, step: 'Run analyzer' },
});

/**
 * Digests as their people get them, with the real SMTP server and the clock moved
 * by hand: a daily digest at a Parisian's local hour, in French, on both sides of
 * the spring change (the window over the change has 23 hours); and, on
 * PostgreSQL, two Herald processes closing the same hourly windows.
 */
describe('digests, end to end', () => {
  let sink: SmtpSink;
  const mailsTo = (person: string) => sink.received.filter((m) => m.to.includes(`${person}@example.com`));

  beforeAll(async () => {
    sink = await new SmtpSink().start();
  });
  afterEach(() => {
    sink.received.length = 0;
  });
  afterAll(async () => {
    await sink.stop();
  });

  it("daily at 08:00 in Europe/Paris, in French: the mail leaves at 08:00 local before and after the change to summer time, listing that day's events", async () => {
    // Friday 2026-03-27 13:00 CET. Clocks go from 02:00 CET to 03:00 CEST on Sunday 2026-03-29 (01:00 UTC).
    const core = await NotificationsCore.start(QUIET_TIMERS, { clockStart: Date.UTC(2026, 2, 27, 12) });
    try {
      await core.useRelay(sink.port);
      await core.seedApplication('billing', ['amelie']);
      const users = core.get(UsersService);
      await users.updateProfile('amelie', { locale: 'fr-FR', timeZone: 'Europe/Paris' });
      await users.setPreference('amelie', NotificationType.JOB_FAILED, undefined, { frequency: NotificationFrequency.DIGEST_DAILY, digestHour: 8 });
      const ingest = (at: number, message?: string) => core.get(JobEventIngestionService).ingest(failedAt(at, 'billing', message), 'emitter');
      /** Moves the clock to an instant and closes the windows ended by then, as the sweep would. */
      const moveTo = async (at: number) => {
        core.clock.advance(at - core.clock.now());
        return core.get(Digests).sweep();
      };

      await ingest(Date.UTC(2026, 2, 27, 12), 'Friday'); // Fri 13:00 CET
      expect(await moveTo(Date.UTC(2026, 2, 28, 6, 59))).toBe(0); // Sat 07:59 CET
      expect(mailsTo('amelie')).toEqual([]);
      expect(await moveTo(Date.UTC(2026, 2, 28, 7))).toBe(1); // Sat 08:00 CET
      const [saturday] = await eventually(async () => {
        const mine = mailsTo('amelie');
        expect(mine).toHaveLength(1);
        return mine;
      });
      expect(saturday.parsed.subject).toBe('Votre résumé Herald : 1 événement dans 1 application');
      expect(saturday.parsed.text).toContain('27 mars 2026, 13:00 CET');
      expect(saturday.parsed.text).toContain('Friday');
      expect(saturday.parsed.html).toContain('<html lang="fr-FR">');

      await ingest(Date.UTC(2026, 2, 28, 20), 'Saturday'); // Sat 21:00 CET
      await ingest(Date.UTC(2026, 2, 29, 5), 'Sunday'); // Sun 07:00 CEST, after the change
      expect(await moveTo(Date.UTC(2026, 2, 29, 5, 59))).toBe(0); // Sun 07:59 CEST: still the window, 23 hours long
      expect(mailsTo('amelie')).toHaveLength(1);
      expect(await moveTo(Date.UTC(2026, 2, 29, 6))).toBe(1); // Sun 08:00 CEST
      const sunday = await eventually(async () => {
        const mine = mailsTo('amelie');
        expect(mine).toHaveLength(2);
        return mine[1];
      });
      expect(sunday.parsed.subject).toBe('Votre résumé Herald : 2 événements dans 1 application');
      const text = sunday.parsed.text!;
      expect(text.indexOf('29 mars 2026, 07:00 CEST')).toBeGreaterThan(-1);
      expect(text.indexOf('29 mars 2026, 07:00 CEST')).toBeLessThan(text.indexOf('28 mars 2026, 21:00 CET')); // newest first
      expect(text).not.toContain('Friday');
      expect(text).toContain('L’analyse échoue encore (3e échec d’affilée)'); // the job history, in French too
      expect(text).toContain('Vous recevez ce résumé');

      const windows = await core.dataSource.getRepository(DigestEntity).find({ order: { windowEnd: 'ASC' } });
      expect(windows.map((w) => [w.windowStart.toISOString(), w.windowEnd.toISOString()])).toEqual([
        ['2026-03-27T07:00:00.000Z', '2026-03-28T07:00:00.000Z'], // 08:00 CET → 08:00 CET
        ['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z'], // 08:00 CET → 08:00 CEST: 23 hours
      ]);
      expect(await moveTo(Date.UTC(2026, 2, 30, 6))).toBe(0); // Mon 08:00 CEST: nothing happened on Sunday after 08:00
    } finally {
      await core.close();
    }
  });

  // Two processes in one test process: two Nest applications (Herald's core, each its own ManualClock, its own
  // Digests and dispatcher) on one PostgreSQL schema, as two Herald containers share one database.
  describeIf(!!TEST_DATABASE_URL, NEEDS_POSTGRES)('two processes on PostgreSQL', () => {
    const people = ['pg-ann', 'pg-bob', 'pg-cy', 'pg-dee', 'pg-eve'];
    const start = Date.UTC(2026, 10, 24, 9);
    let storage: ReturnType<typeof HeraldTestApp.freshStorage>;
    const cores: NotificationsCore[] = [];
    const boot = async () => {
      const core = await NotificationsCore.start(
        { ...QUIET_TIMERS, DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: storage.schema, DATA_DIR: storage.dataDir },
        { clockStart: start },
      );
      await core.useRelay(sink.port);
      return core;
    };

    beforeAll(() => {
      storage = HeraldTestApp.freshStorage();
    });
    afterAll(async () => {
      for (const core of cores) await core.close().catch(() => undefined);
      await removeStorage(storage);
    });

    it('an hourly window closing gives exactly one digest per person, and a process restarted in the middle of the window loses nothing', async () => {
      const a = await boot();
      cores.push(a);
      await a.seedApplication('pg-billing', people);
      for (const person of people) await a.get(UsersService).setPreference(person, NotificationType.JOB_FAILED, undefined, { frequency: NotificationFrequency.DIGEST_HOURLY });
      let b = await boot();
      cores.push(b);

      // Both processes plan events of the same hour (09:00–10:00 UTC).
      await a.get(JobEventIngestionService).ingest(failedAt(start + 5 * MINUTE, 'pg-billing', 'from A'), 'emitter');
      await b.get(JobEventIngestionService).ingest(failedAt(start + 10 * MINUTE, 'pg-billing', 'from B'), 'emitter');
      // B stops in the middle of the window; a new B starts (its clock at 09:30) and plans one more.
      await b.close();
      b = await NotificationsCore.start({ ...QUIET_TIMERS, DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: storage.schema, DATA_DIR: storage.dataDir }, { clockStart: start + 30 * MINUTE });
      cores.push(b);
      await b.useRelay(sink.port);
      await b.get(JobEventIngestionService).ingest(failedAt(start + 40 * MINUTE, 'pg-billing', 'after the restart'), 'emitter');
      expect(await a.dataSource.getRepository(DigestEntryEntity).count()).toBe(3 * people.length);

      // 10:00 on both: they close the same windows at the same time.
      a.clock.advance(start + HOUR - a.clock.now());
      b.clock.advance(start + HOUR - b.clock.now());
      const [closedByA, closedByB] = await Promise.all([a.get(Digests).sweep(), b.get(Digests).sweep()]);
      expect(closedByA + closedByB).toBe(people.length);
      expect(await a.get(Digests).sweep()).toBe(0);
      expect(await b.get(Digests).sweep()).toBe(0);

      await eventually(async () => {
        for (const person of people) expect(mailsTo(person)).toHaveLength(1);
      });
      for (const person of people) {
        const text = mailsTo(person)[0].parsed.text!;
        for (const message of ['from A', 'from B', 'after the restart']) expect(text).toContain(message);
      }
      expect(await a.dataSource.getRepository(DigestEntity).count()).toBe(people.length);
      expect(await a.dataSource.getRepository(DigestEntryEntity).count()).toBe(0);
      // A little later nothing more leaves (no second mail from either process).
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sink.received).toHaveLength(people.length);
    });
  });
});
