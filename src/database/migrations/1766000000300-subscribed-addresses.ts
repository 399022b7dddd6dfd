import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Addresses that are not console people, subscribed to an application's events
 * (src/audiences/subscribed-addresses/): one row per address and application, the
 * types it gets in `subscribed_address_types`. And each application's notification
 * defaults (`application_notification_defaults`: per type, what a manager gets
 * until they choose; src/users/application-defaults/).
 */
export class SubscribedAddresses1766000000300 implements MigrationInterface {
  name = 'SubscribedAddresses1766000000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'subscribed_addresses',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'application_id', type: 'integer' },
          { name: 'address', type: 'varchar', length: '254' },
          { name: 'address_key', type: 'varchar', length: '254' },
          { name: 'frequency', type: 'varchar', length: '16' },
          { name: 'digest_hour', type: 'integer', isNullable: true },
          { name: 'locale', type: 'varchar', length: '35', isNullable: true },
          { name: 'time_zone', type: 'varchar', length: '64', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'confirmation_nonce', type: 'varchar', length: '32', isNullable: true },
          { name: 'confirmation_sent_at', type: timestamp, isNullable: true },
          { name: 'confirmed_at', type: timestamp, isNullable: true },
          { name: 'unsubscribed_at', type: timestamp, isNullable: true },
          { name: 'created_at', type: timestamp },
          { name: 'created_by', type: 'varchar', length: '255' },
          { name: 'created_by_name', type: 'varchar', length: '255', isNullable: true },
        ],
        foreignKeys: [{ columnNames: ['application_id'], referencedTableName: 'applications', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await queryRunner.createIndex('subscribed_addresses', new TableIndex({ name: 'UQ_subscribed_addresses_application_address', columnNames: ['application_id', 'address_key'], isUnique: true }));
    await queryRunner.createTable(
      new Table({
        name: 'subscribed_address_types',
        columns: [
          { name: 'subscription_id', type: 'integer', isPrimary: true },
          { name: 'event_type', type: 'varchar', length: '64', isPrimary: true },
        ],
        foreignKeys: [{ columnNames: ['subscription_id'], referencedTableName: 'subscribed_addresses', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'application_notification_defaults',
        columns: [
          { name: 'application_id', type: 'integer', isPrimary: true },
          { name: 'event_type', type: 'varchar', length: '64', isPrimary: true },
          { name: 'frequency', type: 'varchar', length: '16' },
          { name: 'digest_hour', type: 'integer', isNullable: true },
          { name: 'updated_at', type: timestamp },
          { name: 'updated_by', type: 'varchar', length: '255' },
        ],
        foreignKeys: [{ columnNames: ['application_id'], referencedTableName: 'applications', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('application_notification_defaults');
    await queryRunner.dropTable('subscribed_address_types');
    await queryRunner.dropTable('subscribed_addresses');
  }
}
