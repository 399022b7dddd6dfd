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
import { AudienceSources } from '../src/audiences/audience-sources';
import { PeopleAudience } from '../src/audiences/people/people-audience';
import { DeliveryEventEntity } from '../src/notifications/entities/delivery-event.entity';

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
  // A person leaves digests while their window is being closed, on PostgreSQL (two processes, or one with a
  // pool): each side is held at a point of its transaction until the other has either finished or waits for
  // it, so that the order is the test's, not the scheduler's. The event must reach them once: in the digest
  // or in a mail of its own, never both.
  describeIf(!!TEST_DATABASE_URL, NEEDS_POSTGRES)('a preference change racing a window close, on PostgreSQL', () => {
    const start = Date.UTC(2026, 10, 24, 9);
    let storage: ReturnType<typeof HeraldTestApp.freshStorage>;
    let core: NotificationsCore;

    beforeEach(async () => {
      storage = HeraldTestApp.freshStorage();
      core = await NotificationsCore.start({ ...QUIET_TIMERS, DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: storage.schema, DATA_DIR: storage.dataDir }, { clockStart: start });
      await core.useRelay(sink.port);
      await core.seedApplication('race', ['pat']);
      await core.get(UsersService).setPreference('pat', NotificationType.JOB_FAILED, undefined, { frequency: NotificationFrequency.DIGEST_HOURLY });
    });
    afterEach(async () => {
      jest.restoreAllMocks();
      await core.close();
      await removeStorage(storage);
    });

    /** A point a transaction stops at until the test opens it. */
    const gate = () => {
      let open!: () => void;
      let reach!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      const reached = new Promise<void>((r) => (reach = r));
      return { open, opened, reach, reached };
    };
    /** Resolves once `done` settled or another statement of this database waits for a row lock. */
    const finishedOrWaiting = async (done: Promise<unknown>): Promise<'finished' | 'waiting'> => {
      let finished = false;
      void done.then(() => (finished = true), () => (finished = true));
      for (;;) {
        if (finished) return 'finished';
        const [{ n }] = (await core.dataSource.query(`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)) as Array<{ n: number }>;
        if (n > 0) return 'waiting';
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    /** Pat leaves digests; answers the handling of the change (Digests.preferenceChanged) as users announced it. */
    const leaveDigests = async (): Promise<{ handling: Promise<void> }> => {
      const digests = core.get(Digests);
      const handle = digests.preferenceChanged.bind(digests);
      let handling: Promise<void> | undefined;
      jest.spyOn(digests, 'preferenceChanged').mockImplementation((change) => (handling = handle(change)));
      await core.get(UsersService).setPreference('pat', NotificationType.JOB_FAILED, undefined, { frequency: NotificationFrequency.IMMEDIATELY });
      await eventually(async () => expect(handling).toBeDefined());
      return { handling: handling! };
    };
    /** The event reached pat once: one delivery refers to it, one mail came. */
    const once = async (eventId: string, subject: RegExp) => {
      expect(await core.dataSource.getRepository(DeliveryEventEntity).countBy({ eventId })).toBe(1);
      await eventually(async () => expect(mailsTo('pat')).toHaveLength(1));
      await new Promise((r) => setTimeout(r, 500));
      expect(mailsTo('pat').map((m) => m.parsed.subject)).toEqual([expect.stringMatching(subject)]);
      expect(await core.dataSource.getRepository(DigestEntryEntity).count()).toBe(0);
    };

    it('the window closes first: the change finds the event taken, only the digest has it', async () => {
      const event = failedAt(start + 5 * MINUTE, 'race', 'racing the close');
      await core.get(JobEventIngestionService).ingest(event, 'emitter');
      // The close stops once it has read the window's entries (it asks who still reads them next).
      const audiences = core.get(AudienceSources);
      const readersOf = audiences.readersOf.bind(audiences);
      const held = gate();
      jest.spyOn(audiences, 'readersOf').mockImplementation(async (questions, manager) => {
        if (manager) {
          held.reach();
          await held.opened;
        }
        return readersOf(questions, manager);
      });
      core.clock.advance(HOUR);
      const closing = core.get(Digests).sweep();
      let order: string | undefined;
      try {
        await held.reached;
        const { handling } = await leaveDigests();
        order = await finishedOrWaiting(handling); // waits for the close's lock (it finished at once when it took no lock)
        held.open();
        await closing;
        await handling;
      } finally {
        held.open();
      }
      await once(event.id, /^Your Herald digest/);
      expect(order).toBe('waiting');
    });

    it('the change comes first: the close finds the event taken, only its own mail has it', async () => {
      const event = failedAt(start + 5 * MINUTE, 'race', 'racing the change');
      await core.get(JobEventIngestionService).ingest(event, 'emitter');
      // The change stops once it has read what waits (it asks, per application, what pat wants now).
      const people = core.get(PeopleAudience);
      const membersFor = people.membersFor.bind(people);
      const held = gate();
      jest.spyOn(people, 'membersFor').mockImplementation(async (...args) => {
        held.reach();
        await held.opened;
        return membersFor(...args);
      });
      let order: string | undefined;
      try {
        const { handling } = await leaveDigests();
        await held.reached;
        core.clock.advance(HOUR);
        const closing = core.get(Digests).sweep();
        order = await finishedOrWaiting(closing); // waits for the change's lock (it finished at once when it took no lock)
        held.open();
        await handling;
        await closing;
      } finally {
        held.open();
      }
      await once(event.id, /racing the change|failed/i);
      expect(order).toBe('waiting');
    });
  });
});
