import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { MIGRATIONS } from '../src/database/migrations';
import { UserEmailKeys1766000000900 } from '../src/database/migrations/1766000000900-user-email-keys';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage } from './support/herald-test-app';

/**
 * Migration 1766000000900: users.email_key, each person's address as address
 * suspensions key it (lower-cased in JavaScript, letters beyond ASCII too), filled
 * for the people already there; undone, the column goes and the people stay.
 */
describe(`migration 1766000000900, users' email keys (${DATABASE_KIND})`, () => {
  it('fills email_key of existing people as suspensions key their addresses, and is undone', async () => {
    const storage = HeraldTestApp.freshStorage();
    const options = dataSourceOptions(HeraldTestApp.config(storage).database);
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(UserEmailKeys1766000000900));
    const db = await new DataSource({ ...options, migrations: [...before, UserEmailKeys1766000000900], logging: false }).initialize();
    const table = (name: string) => (options.type === 'postgres' ? `"${options.schema}"."${name}"` : `"${name}"`);
    const p = (n: number) => Array.from({ length: n }, (_, i) => (options.type === 'postgres' ? `$${i + 1}` : '?')).join(', ');
    const columns = async () => (await db.createQueryRunner().getTable('users'))!.columns.map((c) => c.name);
    try {
      expect((await runMigrations(db)).pop()).toBe('UserEmailKeys1766000000900');
      await db.undoLastMigration({ transaction: 'each' });
      const people: Array<[string, string | null]> = [['unal', 'Ünal@Example.com'], ['ann', 'ANN@example.com'], ['nobody', null]];
      for (const [id, email] of people) {
        await db.query(`INSERT INTO ${table('users')} (external_id, email, notifications_enabled, created_at, updated_at) VALUES (${p(5)})`, [id, email, true, '2026-11-24 09:00:00.000', '2026-11-24 09:00:00.000']);
      }

      expect(await runMigrations(db)).toEqual(['UserEmailKeys1766000000900']);
      expect(await db.query(`SELECT external_id, email, email_key FROM ${table('users')} ORDER BY external_id`)).toEqual([
        { external_id: 'ann', email: 'ANN@example.com', email_key: 'ann@example.com' },
        { external_id: 'nobody', email: null, email_key: null },
        { external_id: 'unal', email: 'Ünal@Example.com', email_key: 'ünal@example.com' },
      ]);

      await db.undoLastMigration({ transaction: 'each' });
      expect(await columns()).not.toContain('email_key');
      expect(await db.query(`SELECT COUNT(*) AS n FROM ${table('users')}`)).toEqual([{ n: options.type === 'postgres' ? '3' : 3 }]);
    } finally {
      await db.destroy();
      await removeStorage(storage);
    }
  });
});
