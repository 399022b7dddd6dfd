import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { tablePath } from './column-types';

/**
 * The standby relay: its health (circuit, pacing, probes: row `standby` of
 * relay_health, beside the primary's `relay`), and per delivery what carried it
 * (`sent_via`: `primary: 127.0.0.1:25`, `standby: …`; null before it is sent, and
 * for the deliveries sent before this version).
 */
export class StandbyRelay1766000000200 implements MigrationInterface {
  name = 'StandbyRelay1766000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`INSERT INTO ${tablePath(queryRunner, 'relay_health')} (id, state, since) VALUES ('standby', 'OK', CURRENT_TIMESTAMP)`);
    await queryRunner.addColumn('deliveries', new TableColumn({ name: 'sent_via', type: 'varchar', length: '255', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('deliveries', 'sent_via');
    await queryRunner.query(`DELETE FROM ${tablePath(queryRunner, 'relay_health')} WHERE id = 'standby'`);
  }
}
