import { DataSource } from 'typeorm';
import { testDatabases } from '../../test/support/memory-database';
import { dataSourceOptions } from './data-source-options';
import { MIGRATIONS } from './migrations';
import { runMigrations } from './prepare-database';

const postgres = testDatabases('prepare_database').find((d) => d.name === 'postgres');

/** Migrations as several replicas starting at once on one fresh PostgreSQL schema run them (MIGRATIONS_RUN defaults to true). */
(postgres ? describe : describe.skip)('runMigrations on PostgreSQL', () => {
  it('three processes migrating one fresh schema at once: one migrates, the others wait and find nothing to do; every migration recorded once', async () => {
    const database = postgres!.database();
    const open = () => new DataSource({ ...dataSourceOptions(database), logging: false }).initialize();
    const processes = await Promise.all([open(), open(), open()]);
    try {
      const applied = await Promise.all(processes.map((p) => runMigrations(p)));
      expect(applied.map((names) => names.length).sort((a, b) => a - b)).toEqual([0, 0, MIGRATIONS.length]);
      const schema = database.type === 'postgres' ? database.schema : '';
      const recorded: Array<{ name: string }> = await processes[0].query(`SELECT name FROM "${schema}".herald_migrations ORDER BY id`);
      expect(recorded.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => new m().name));
      // The claim's index, built outside a transaction (CONCURRENTLY), is there once, whole.
      const [index] = await processes[0].query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'IDX_deliveries_claim'`, [schema]);
      expect(index.indexdef).toMatch(/\(status, priority, next_attempt_at, id\)$/);
    } finally {
      await processes[0].query(`DROP SCHEMA IF EXISTS "${database.type === 'postgres' ? database.schema : ''}" CASCADE`);
      await Promise.all(processes.map((p) => p.destroy()));
    }
  });
});
