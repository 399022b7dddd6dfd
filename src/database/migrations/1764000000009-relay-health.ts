import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { columnTypes, tablePath } from './column-types';

/** The relay's circuit breaker and pacing, shared by every process (RelayHealth): one row. */
export class RelayHealth1764000000009 implements MigrationInterface {
  name = 'RelayHealth1764000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    const at = (name: string) => ({ name, type: timestamp, isNullable: true });
    await queryRunner.createTable(
      new Table({
        name: 'relay_health',
        columns: [
          { name: 'id', type: 'varchar', length: '16', isPrimary: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'since', type: timestamp },
          at('last_success_at'),
          { name: 'last_failure_step', type: 'varchar', length: '16', isNullable: true },
          { name: 'last_failure_reply', type: 'text', isNullable: true },
          { name: 'last_failure_description', type: 'text', isNullable: true },
          at('last_failure_at'),
          at('next_probe_at'),
          { name: 'probe_delay_ms', type: 'integer', default: 0 },
          { name: 'probe_owner', type: 'varchar', length: '255', isNullable: true },
          at('probe_lease_until'),
          at('paced_until'),
          { name: 'paced_reason', type: 'text', isNullable: true },
          { name: 'throttle_ms', type: 'integer', default: 0 },
        ],
      }),
    );
    await queryRunner.query(`INSERT INTO ${tablePath(queryRunner, 'relay_health')} (id, state, since) VALUES ('relay', 'OK', CURRENT_TIMESTAMP)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('relay_health');
  }
}
