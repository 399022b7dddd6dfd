import { MIGRATIONS } from '../src/database/migrations';
import { MailTemplates1765000000020 } from '../src/database/migrations/1765000000020-mail-templates';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage } from './support/herald-test-app';
import { openMigrationDatabase } from './support/migration-database';

/** Migration 1765000000020 (admins' mail templates and branding): its tables, one version per number, and undone. */
describe(`migration 1765000000020, mail templates (${DATABASE_KIND})`, () => {
  it('creates the versions (one per type, language and number) and the branding, and is undone', async () => {
    const storage = HeraldTestApp.freshStorage();
    const { db, table, params: p } = await openMigrationDatabase(storage, MIGRATIONS.slice(0, MIGRATIONS.indexOf(MailTemplates1765000000020) + 1)); // later ones are not this test's
    try {
      expect((await runMigrations(db)).pop()).toBe('MailTemplates1765000000020');
      const version = ['JOB_FAILED', 'fr', 1, 'UPDATE', '{{subject}}', '2026-11-21 08:00:00.000', 'ann'];
      const insert = `INSERT INTO ${table('mail_template_versions')} (type, language, version, change, subject, created_at, created_by) VALUES (${p(7)})`;
      await db.query(insert, version);
      await expect(db.query(insert, version)).rejects.toThrow(/unique|UNIQUE/);
      await db.query(insert, ['JOB_FAILED', 'en', 1, 'UPDATE', null, '2026-11-21 08:00:00.000', 'ann']);
      await db.query(`INSERT INTO ${table('mail_branding')} (id, revision, product_name, updated_at, updated_by) VALUES (${p(5)})`, [1, 1, 'ACME', '2026-11-21 08:00:00.000', 'ann']);
      await db.undoLastMigration({ transaction: 'each' });
      const runner = db.createQueryRunner();
      expect([await runner.hasTable('mail_template_versions'), await runner.hasTable('mail_branding'), await runner.hasTable('audit_log')]).toEqual([false, false, true]);
      await runner.release();
      expect(await runMigrations(db)).toEqual(['MailTemplates1765000000020']);
    } finally {
      await db.destroy();
      await removeStorage(storage);
    }
  });
});
