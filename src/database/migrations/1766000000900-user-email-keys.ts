import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { tablePath } from './column-types';

/** Rows per statement of the backfill. */
const CHUNK = 500;

/**
 * users.email_key: a person's address as address suspensions key it (trimmed and
 * lower-cased in JavaScript: users/suspensions addressKey), so that the send-time
 * check finds the suspension of `Ünal@example.com` on both databases. It was
 * matched with SQL LOWER(), which on SQLite lower-cases ASCII letters only (and
 * on PostgreSQL follows the database's collation). Existing rows are filled here,
 * in JavaScript, the same way.
 */
export class UserEmailKeys1766000000900 implements MigrationInterface {
  name = 'UserEmailKeys1766000000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('users', new TableColumn({ name: 'email_key', type: 'varchar', length: '320', isNullable: true }));
    const users = tablePath(queryRunner, 'users');
    const postgres = queryRunner.connection.options.type === 'postgres';
    const rows = (await queryRunner.query(`SELECT id, email FROM ${users} WHERE email IS NOT NULL ORDER BY id`)) as Array<{ id: number; email: string }>;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const keys = JSON.stringify(rows.slice(i, i + CHUNK).map((r) => ({ id: Number(r.id), k: r.email.trim().toLowerCase() })));
      await queryRunner.query(
        postgres
          ? `UPDATE ${users} AS u SET email_key = v.k FROM json_to_recordset($1::json) AS v(id integer, k varchar) WHERE u.id = v.id`
          : `UPDATE ${users} SET email_key = (SELECT json_extract(value, '$.k') FROM json_each(?) WHERE json_extract(value, '$.id') = ${users}.id)
              WHERE id IN (SELECT json_extract(value, '$.id') FROM json_each(?))`,
        postgres ? [keys] : [keys, keys],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'email_key');
  }
}
