import { MIGRATIONS } from '../src/database/migrations';
import { Bounces1765000000010 } from '../src/database/migrations/1765000000010-bounces';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage } from './support/herald-test-app';
import { openMigrationDatabase } from './support/migration-database';

/** Migration 1765000000010 (bounces): columns added in place to deliveries (rows kept), its tables, and undone. */
describe(`migration 1765000000010, bounces (${DATABASE_KIND})`, () => {
  it("adds the bounce columns to deliveries without touching their rows, the suspensions', reports' and mailbox state's tables, and is undone", async () => {
    const storage = HeraldTestApp.freshStorage();
    // Up to the migration after it (later ones are not this test's).
    const { db, table, params: p } = await openMigrationDatabase(storage, MIGRATIONS.slice(0, MIGRATIONS.indexOf(Bounces1765000000010) + 2));
    const columns = async () => (await db.createQueryRunner().getTable('deliveries'))!.columns.map((c) => c.name);
    try {
      expect(await runMigrations(db)).toContain('Bounces1765000000010');
      await db.query(
        `INSERT INTO ${table('deliveries')} (event_type, application_id, recipient_id, channel, address, status, next_attempt_at, message_id, created_at, updated_at) VALUES (${p(10)})`,
        ['JOB_FAILED', 'billing', 'ann', 'email', 'ann@example.com', 'SENT', '2026-11-24 09:00:00.000', '<herald.0123456789abcdef.1@example.com>', '2026-11-24 09:00:00.000', '2026-11-24 09:00:00.000'],
      );
      await db.query(`UPDATE ${table('deliveries')} SET status = 'BOUNCED', bounce_status = '5.1.1', bounce_class = 'HARD', bounce_diagnostic = 'unknown user', bounced_at = ${p(1)}`, ['2026-11-24 09:05:00.000']);
      await db.query(`INSERT INTO ${table('address_suspensions')} (address, suspended_at, reason) VALUES (${p(3)})`, ['ann@example.com', '2026-11-24 09:05:00.000', '5.1.1 unknown user']);
      const report = [`imap://herald@example.com@mail:993/INBOX`, '1:1', 'CLAIMED', '2026-11-24 09:05:00.000'];
      const insertReport = `INSERT INTO ${table('bounce_reports')} (mailbox, message_key, state, created_at) VALUES (${p(4)})`;
      await db.query(insertReport, report);
      await expect(db.query(insertReport, report)).rejects.toThrow(/unique|UNIQUE/);

      // Undone (after the later migration that follows it): the columns and tables go, the delivery stays.
      await db.undoLastMigration({ transaction: 'each' });
      await db.undoLastMigration({ transaction: 'each' });
      const runner = db.createQueryRunner();
      expect([await runner.hasTable('address_suspensions'), await runner.hasTable('bounce_reports'), await runner.hasTable('report_mailbox_state'), await runner.hasTable('deliveries')]).toEqual([false, false, false, true]);
      await runner.release();
      expect((await columns()).filter((c) => c.startsWith('bounce'))).toEqual([]);
      expect(await db.query(`SELECT address, message_id AS "messageId" FROM ${table('deliveries')}`)).toEqual([{ address: 'ann@example.com', messageId: '<herald.0123456789abcdef.1@example.com>' }]);
      expect(await runMigrations(db)).toEqual(['Bounces1765000000010', 'MailTemplates1765000000020']);
      expect(await columns()).toEqual(expect.arrayContaining(['bounce_status', 'bounce_class', 'bounce_diagnostic', 'bounce_reporting_mta', 'bounced_at']));
    } finally {
      await db.destroy();
      await removeStorage(storage);
    }
  });
});
