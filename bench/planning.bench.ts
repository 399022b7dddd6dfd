/**
 * What planning costs with job history and digests: one event fanned out to
 * 10,000 managers, planned (ingestion + planning, one transaction, committed)
 * by Herald's core in this process, with everyone on
 *   IMMEDIATELY      a delivery per person (what Herald always did);
 *   FIRST_AND_FIXED  history read and written, each failure a first and each success a fix (the worst case: all get it);
 *   DIGEST_HOURLY    an entry per person in their window, in three time zones (Europe/Paris, America/New_York, the admin's default);
 *   DIGEST_DAILY     the same with a daily window at each person's hour.
 * and, first and the base of the ratios, IMMEDIATELY with the mail cap off
 * (MAIL_CAP_COUNT=0): what planning was before. The others run with the cap on
 * (its default: every recipient's mails counted in cap_windows; 12 rounds fold none).
 * Each frequency has a database of its own (SQLite in a temporary directory, or
 * PostgreSQL with HERALD_BENCH_DATABASE_URL); the rounds alternate between them,
 * so a loaded machine slows them alike. Events alternate JOB_FAILED and
 * JOB_SUCCEEDED (so FIRST_AND_FIXED mails every one). Nothing is sent (no relay):
 * this is the planning alone.
 *
 *   npm run bench:planning          (BENCH_RECIPIENTS=10000 BENCH_ROUNDS=10)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { ThrottlerModule } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { AuthModule } from '../src/auth/auth.module';
import { ClockModule } from '../src/clock/clock.module';
import { ManualClock } from '../src/clock/manual-clock';
import { ConfigModule } from '../src/config/config.module';
import { HeraldConfig } from '../src/config/herald-config';
import { validateEnvironment } from '../src/config/validate-environment';
import { DatabaseModule } from '../src/database/database.module';
import { JobEventIngestionService } from '../src/job-events/ingestion/job-event-ingestion.service';
import { DigestEntryEntity } from '../src/notifications/entities/digest-entry.entity';
import { EmailModule } from '../src/email/email.module';
import { NotificationsPortsModule } from '../src/notifications/notifications-ports.module';
import { NotificationsModule } from '../src/notifications/notifications.module';
import { DeliveryEntity } from '../src/notifications/entities/delivery.entity';
import { ApplicationEntity } from '../src/users/entities/application.entity';
import { MembershipEntity, MembershipRole } from '../src/users/entities/membership.entity';
import { PreferenceEntity } from '../src/users/entities/preference.entity';
import { UserEntity } from '../src/users/entities/user.entity';
import { NotificationFrequency } from '../src/users/frequency/notification-frequency';
import { machine, percentile, table } from './support/report';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const FREQUENCIES = [NotificationFrequency.IMMEDIATELY, NotificationFrequency.FIRST_AND_FIXED, NotificationFrequency.DIGEST_HOURLY, NotificationFrequency.DIGEST_DAILY];
const ZONES = ['Europe/Paris', 'America/New_York', null];

interface Core {
  frequency: NotificationFrequency;
  label: string;
  module: TestingModule;
  dataDir: string;
  schema?: string;
  times: number[];
  planned: number;
}

async function startCore(frequency: NotificationFrequency, pg: string | undefined, cap = true): Promise<Core> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-planning-'));
  const schema = pg ? `herald_bench_planning_${process.pid}_${frequency.toLowerCase()}${cap ? '' : '_nocap'}` : undefined;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    SQLITE_PATH: join(dataDir, 'herald.sqlite'),
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
    HERALD_SECRET_KEY: 'a'.repeat(64),
    LOG_LEVEL: 'error',
    ...(pg ? { DATABASE_URL: pg, DATABASE_SCHEMA: schema! } : {}),
    ...(cap ? {} : { MAIL_CAP_COUNT: '0' }),
  };
  const config = new HeraldConfig(validateEnvironment(env), env);
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      ClockModule.forRoot(new ManualClock(Date.UTC(2026, 10, 24, 9, 0))), // the clock stands still: no window closes, no timer runs
      AuthModule,
      EventEmitterModule.forRoot(),
      ThrottlerModule.forRoot({ throttlers: [{ name: 'smtp-check', ttl: 60_000, limit: 10 }] }),
      DatabaseModule,
      NotificationsModule,
      NotificationsPortsModule,
      EmailModule,
    ],
  }).compile();
  module.useLogger(['error']);
  await module.init();
  await seed(module.get(DataSource), frequency);
  return { frequency, label: cap ? frequency : `${frequency}, no mail cap`, module, dataDir, schema, times: [], planned: 0 };
}

async function chunked<T>(rows: T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

/** 10,000 managers of one application with an address, notifications on, in three zones; everyone on the frequency. */
async function seed(ds: DataSource, frequency: NotificationFrequency): Promise<void> {
  await ds.getRepository(ApplicationEntity).insert({ externalId: 'big', name: 'Big' });
  const app = await ds.getRepository(ApplicationEntity).findOneByOrFail({ externalId: 'big' });
  const users = Array.from({ length: RECIPIENTS }, (_, i) => ({
    externalId: `u${i}`, displayName: `User ${i}`, email: `u${i}@example.com`, emailKey: `u${i}@example.com`, notificationsEnabled: true, locale: i % 2 ? 'fr' : 'en', timeZone: ZONES[i % 3],
  }));
  await ds.transaction((m) => chunked(users, 500, (c) => m.getRepository(UserEntity).insert(c)));
  const ids = (await ds.getRepository(UserEntity).find({ select: { id: true }, order: { id: 'ASC' } })).map((u) => u.id);
  await ds.transaction((m) => chunked(ids.map((userId) => ({ applicationId: app.id, userId, role: MembershipRole.MANAGE })), 500, (c) => m.getRepository(MembershipEntity).insert(c)));
  if (frequency === NotificationFrequency.IMMEDIATELY) return; // the default: no preference rows
  // FIRST_AND_FIXED means something for failures; a digest takes failures and fixes alike.
  const types = frequency === NotificationFrequency.FIRST_AND_FIXED ? ['JOB_FAILED'] : ['JOB_FAILED', 'JOB_RECOVERED'];
  const prefs = ids.flatMap((userId, i) => types.map((eventType) => ({
    userId, eventType, applicationId: null, enabled: true, frequency, digestHour: frequency === NotificationFrequency.DIGEST_DAILY ? i % 24 : null,
  })));
  await ds.transaction((m) => chunked(prefs, 500, (c) => m.getRepository(PreferenceEntity).insert(c as Partial<PreferenceEntity>[])));
}

let seq = 0;
/** Failures and successes in turn, of one job kind: with FIRST_AND_FIXED each failure is a first and each success a fix. */
function nextEvent(round: number) {
  const at = new Date(Date.UTC(2026, 10, 24, 8, 0, ++seq)).toISOString();
  return {
    schemaVersion: 1,
    id: `plan-${process.pid}-${seq}`,
    type: round % 2 ? 'JOB_SUCCEEDED' : 'JOB_FAILED',
    occurredAt: at,
    application: { id: 'big', name: 'Big' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: at, endedAt: at },
    ...(round % 2 ? {} : { error: { message: 'Out of memory', step: 'Run analyzer' } }),
  };
}

async function main() {
  const pg = process.env.HERALD_BENCH_DATABASE_URL;
  const cores: Core[] = [];
  try {
    const seedStart = performance.now();
    cores.push(await startCore(NotificationFrequency.IMMEDIATELY, pg, false)); // the base: planning before history, digests and the cap
    for (const frequency of FREQUENCIES) cores.push(await startCore(frequency, pg));
    const seedS = (performance.now() - seedStart) / 1000;
    // Two warm-up rounds (a failure and a success), then the measured ones; each round plans one event per frequency.
    for (let round = 0; round < ROUNDS + 2; round++) {
      for (const core of round % 2 ? [...cores].reverse() : cores) {
        const event = nextEvent(round);
        const t = performance.now();
        await core.module.get(JobEventIngestionService).ingest(event, 'emitter');
        if (round >= 2) core.times.push(performance.now() - t);
      }
    }
    for (const core of cores) {
      const ds = core.module.get(DataSource);
      core.planned = (await ds.getRepository(DeliveryEntity).count()) + (await ds.getRepository(DigestEntryEntity).count());
    }
    const median = (c: Core) => percentile([...c.times].sort((a, b) => a - b), 50);
    const base = median(cores[0]);
    const rows = cores.map((c) => {
      const sorted = [...c.times].sort((a, b) => a - b);
      return {
        frequency: c.label,
        'planned (deliveries or digest entries)': c.planned,
        'p50 ms': median(c).toFixed(0),
        'min ms': sorted[0].toFixed(0),
        'max ms': sorted.at(-1)!.toFixed(0),
        'p50 / IMMEDIATELY without the cap': (median(c) / base).toFixed(2),
      };
    });
    console.log(`\nplanning one event for ${RECIPIENTS} recipients, ${ROUNDS} rounds after 2 warm-up rounds, ${pg ? 'PostgreSQL' : 'SQLite'} (seeding ${seedS.toFixed(0)} s) — ${machine()}\n`);
    console.log(table(rows));
  } finally {
    for (const core of cores) {
      await core.module.close();
      rmSync(core.dataDir, { recursive: true, force: true });
      if (pg && core.schema) {
        const ds = await new DataSource({ type: 'postgres', url: pg }).initialize();
        await ds.query(`DROP SCHEMA IF EXISTS "${core.schema}" CASCADE`);
        await ds.destroy();
      }
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
