import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { MIGRATIONS } from '../src/database/migrations';
import { StandbyRelay1766000000200 } from '../src/database/migrations/1766000000200-standby-relay';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage } from './support/herald-test-app';

/**
 * Migration 1766000000200 (the standby relay): a `standby` row of relay_health beside
 * the primary's, which is kept as it was, and deliveries.sent_via, null for the
 * deliveries sent before; undone, both go and the rest stays.
 */
describe(`migration 1766000000200, the standby relay (${DATABASE_KIND})`, () => {
  it("adds the standby's health row and deliveries.sent_via without touching the primary's row or the deliveries, and is undone", async () => {
    const storage = HeraldTestApp.freshStorage();
    const options = dataSourceOptions(HeraldTestApp.config(storage).database);
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(StandbyRelay1766000000200));
    const db = await new DataSource({ ...options, migrations: [...before, StandbyRelay1766000000200], logging: false }).initialize();
    const table = (name: string) => (options.type === 'postgres' ? `"${options.schema}"."${name}"` : `"${name}"`);
    const p = (n: number) => Array.from({ length: n }, (_, i) => (options.type === 'postgres' ? `$${i + 1}` : '?')).join(', ');
    const health = async () => (await db.query(`SELECT id, state, last_failure_step FROM ${table('relay_health')} ORDER BY id`)) as unknown[];
    const columns = async () => (await db.createQueryRunner().getTable('deliveries'))!.columns.map((c) => c.name);
    try {
      const ran = await runMigrations(db);
      expect(ran.pop()).toBe('StandbyRelay1766000000200');
      // Roll it back to write what the code before wrote: a primary down at CONNECT, a SENT delivery.
      await db.undoLastMigration({ transaction: 'each' });
      await db.query(`UPDATE ${table('relay_health')} SET state = 'DOWN', last_failure_step = 'CONNECT' WHERE id = 'relay'`);
      await db.query(
        `INSERT INTO ${table('deliveries')} (event_type, application_id, recipient_id, channel, address, status, next_attempt_at, message_id, created_at, updated_at) VALUES (${p(10)})`,
        ['JOB_FAILED', 'billing', 'ann', 'email', 'ann@example.com', 'SENT', '2026-11-24 09:00:00.000', '<herald.0123456789abcdef.1@example.com>', '2026-11-24 09:00:00.000', '2026-11-24 09:00:00.000'],
      );
      expect(await columns()).not.toContain('sent_via');

      expect(await runMigrations(db)).toEqual(['StandbyRelay1766000000200']);
      expect(await health()).toEqual([
        { id: 'relay', state: 'DOWN', last_failure_step: 'CONNECT' },
        { id: 'standby', state: 'OK', last_failure_step: null },
      ]);
      expect(await db.query(`SELECT status, message_id, sent_via FROM ${table('deliveries')}`)).toEqual([{ status: 'SENT', message_id: '<herald.0123456789abcdef.1@example.com>', sent_via: null }]);

      await db.undoLastMigration({ transaction: 'each' });
      expect(await health()).toEqual([{ id: 'relay', state: 'DOWN', last_failure_step: 'CONNECT' }]);
      expect(await columns()).not.toContain('sent_via');
      expect(await db.query(`SELECT status FROM ${table('deliveries')}`)).toEqual([{ status: 'SENT' }]);
    } finally {
      await db.destroy();
      await removeStorage(storage);
    }
  });
});
