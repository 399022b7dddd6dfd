/**
 * recipientsFor with 10,000 managers on one application (plus noise: viewers,
 * managers of other applications, people without email, with notifications off,
 * opted out globally or for the application), on SQLite — and on PostgreSQL when
 * HERALD_BENCH_DATABASE_URL is set.
 *
 *   npm run bench:recipients        (BENCH_MANAGERS=10000 BENCH_RUNS=30)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { JobEventType } from '@herald/contracts';
import type { DatabaseConfig } from '../src/config/herald-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { openDatabase } from '../src/database/prepare-database';
import { ApplicationEntity } from '../src/users/entities/application.entity';
import { MembershipEntity, MembershipRole } from '../src/users/entities/membership.entity';
import { PreferenceEntity } from '../src/users/entities/preference.entity';
import { UserEntity } from '../src/users/entities/user.entity';
import { RecipientsService } from '../src/users/recipients/recipients.service';
import { machine, percentile, table } from './support/report';

const MANAGERS = Number(process.env.BENCH_MANAGERS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const ENTITIES = [UserEntity, ApplicationEntity, MembershipEntity, PreferenceEntity];

async function chunked<T>(rows: T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

async function seed(ds: DataSource): Promise<void> {
  await ds.getRepository(ApplicationEntity).insert([{ externalId: 'big', name: 'Big' }, { externalId: 'other', name: 'Other' }]);
  const [big, other] = await ds.getRepository(ApplicationEntity).find({ order: { id: 'ASC' } });
  const total = Math.round(MANAGERS * 1.5);
  const users = Array.from({ length: total }, (_, i) => ({
    externalId: `u${i}`,
    displayName: `User ${i}`,
    email: i % 20 === 1 ? null : `u${i}@example.com`,
    emailKey: i % 20 === 1 ? null : `u${i}@example.com`,
    notificationsEnabled: i % 20 !== 2,
    locale: 'en',
  }));
  await ds.transaction((m) => chunked(users, 500, (c) => m.getRepository(UserEntity).insert(c)));
  const ids = (await ds.getRepository(UserEntity).find({ select: { id: true }, order: { id: 'ASC' } })).map((u) => u.id);
  const memberships = ids.flatMap((id, i) =>
    i < MANAGERS
      ? [{ applicationId: big.id, userId: id, role: MembershipRole.MANAGE }]
      : [{ applicationId: i % 2 ? big.id : other.id, userId: id, role: i % 2 ? MembershipRole.VIEW : MembershipRole.MANAGE }],
  );
  await ds.transaction((m) => chunked(memberships, 500, (c) => m.getRepository(MembershipEntity).insert(c)));
  const prefs = ids.slice(0, MANAGERS).flatMap((id, i): Partial<PreferenceEntity>[] =>
    i % 20 === 3
      ? [{ userId: id, eventType: JobEventType.JOB_SUCCEEDED, applicationId: null, enabled: false }]
      : i % 20 === 4
        ? [{ userId: id, eventType: JobEventType.JOB_SUCCEEDED, applicationId: big.id, enabled: false }]
        : [],
  );
  await ds.transaction((m) => chunked(prefs, 500, (c) => m.getRepository(PreferenceEntity).insert(c)));
}

async function measure(name: string, db: DatabaseConfig): Promise<Record<string, string | number>> {
  const options = { ...dataSourceOptions(db), entities: ENTITIES, migrationsRun: true } as DataSourceOptions;
  const { dataSource } = await openDatabase(options);
  try {
    const seedStart = performance.now();
    await seed(dataSource);
    const seedMs = performance.now() - seedStart;
    const service = new RecipientsService(dataSource);
    let count = 0;
    const times: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const t = performance.now();
      count = (await service.recipientsFor('big', JobEventType.JOB_SUCCEEDED)).length;
      if (i >= 3) times.push(performance.now() - t); // the first runs warm caches and plans
    }
    times.sort((a, b) => a - b);
    return {
      database: name,
      managers: MANAGERS,
      recipients: count,
      'p50 ms': percentile(times, 50).toFixed(1),
      'p95 ms': percentile(times, 95).toFixed(1),
      'max ms': times.at(-1)!.toFixed(1),
      'seed s': (seedMs / 1000).toFixed(1),
    };
  } finally {
    await dataSource.destroy();
  }
}

async function main() {
  const rows = [];
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-recipients-'));
  try {
    rows.push(await measure('SQLite', { type: 'sqlite', path: join(dir, 'bench.sqlite') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pg = process.env.HERALD_BENCH_DATABASE_URL;
  if (pg) {
    const schema = `herald_bench_${process.pid}`;
    try {
      rows.push(await measure('PostgreSQL', { type: 'postgres', url: pg, schema }));
    } finally {
      const ds = await new DataSource({ type: 'postgres', url: pg }).initialize();
      await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await ds.destroy();
    }
  }
  console.log(`\nrecipientsFor, ${RUNS} runs after 3 warm-up runs — ${machine()}\n`);
  console.log(table(rows));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
