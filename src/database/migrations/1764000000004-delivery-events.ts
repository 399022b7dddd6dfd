import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableForeignKey, TableUnique } from 'typeorm';
import { columnTypes, jsonText, tablePath } from './column-types';

/** The columns of job_events that repeated the event (it is stored once, in notifications.payload). */
const EVENT_COLUMNS = ['type', 'schema_version', 'application_id', 'application_name', 'occurred_at'];

/**
 * A delivery (one mail to one person) refers to one or more events: the events
 * move from `deliveries.event_id` to `delivery_events` (delivery, position, event),
 * each existing delivery keeping its one event at position 0. The event is stored
 * once: `job_events` keeps what only the inbox knows (id, when, from where) and
 * drops the copy of the event's fields, whose payload `notifications` holds, and
 * the count of deliveries (counted from delivery_events instead).
 *
 * On SQLite dropping or adding a column rebuilds the table (TypeORM copies every
 * row and drops the old one): `delivery_events` gets its foreign keys only once
 * `deliveries` is rebuilt (and loses them, going down, before it is), so that
 * dropping the old table never cascades into it, whether foreign keys are
 * enforced during the migration or not.
 */
export class DeliveryEvents1764000000004 implements MigrationInterface {
  name = 'DeliveryEvents1764000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'delivery_events',
        columns: [
          { name: 'delivery_id', type: 'integer', isPrimary: true },
          { name: 'position', type: 'integer', isPrimary: true },
          { name: 'event_id', type: 'varchar', length: '128' },
        ],
        // An event's deliveries (event(id), the count of its recipients); an event at most once per delivery.
        indices: [{ name: 'IDX_delivery_events_event', columnNames: ['event_id', 'delivery_id'], isUnique: true }],
      }),
    );
    const deliveries = tablePath(queryRunner, 'deliveries');
    await queryRunner.query(`INSERT INTO ${tablePath(queryRunner, 'delivery_events')} (delivery_id, position, event_id) SELECT id, 0, event_id FROM ${deliveries}`);
    // With the column go its foreign key to notifications and the (event, recipient) unique constraint.
    await queryRunner.dropColumn('deliveries', 'event_id');
    await queryRunner.createForeignKeys('delivery_events', [
      new TableForeignKey({ columnNames: ['delivery_id'], referencedTableName: 'deliveries', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
      new TableForeignKey({ columnNames: ['event_id'], referencedTableName: 'notifications', referencedColumnNames: ['event_id'], onDelete: 'CASCADE' }),
    ]);
    await queryRunner.dropColumns('job_events', [...EVENT_COLUMNS, 'recipients']);
  }

  /** Back to one event per delivery: only possible while no delivery refers to several. */
  async down(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const deliveries = tablePath(queryRunner, 'deliveries');
    const deliveryEvents = tablePath(queryRunner, 'delivery_events');
    const jobEvents = tablePath(queryRunner, 'job_events');
    const notifications = tablePath(queryRunner, 'notifications');
    const [{ several }] = (await queryRunner.query(`SELECT COUNT(*) AS several FROM ${deliveryEvents} WHERE position > 0`)) as Array<{ several: number | string }>;
    if (Number(several)) throw new Error(`${several} deliveries refer to several events: they cannot be kept with one event each`);

    await queryRunner.addColumns('job_events', [
      new TableColumn({ name: 'type', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'schema_version', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'application_id', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'application_name', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'occurred_at', type: t.timestamp, isNullable: true }),
      new TableColumn({ name: 'recipients', type: 'integer', isNullable: true }),
    ]);
    const payload = (field: string) => `(SELECT ${jsonText(queryRunner, 'n.payload', field)} FROM ${notifications} AS n WHERE n.event_id = ${jobEvents}.id)`;
    const postgres = queryRunner.connection.options.type === 'postgres';
    await queryRunner.query(
      `UPDATE ${jobEvents} SET type = ${payload('type')}, schema_version = CAST(${payload('schemaVersion')} AS integer),
              application_id = ${payload('application.id')}, application_name = ${payload('application.name')},
              occurred_at = ${postgres ? `CAST(${payload('occurredAt')} AS timestamptz) AT TIME ZONE 'UTC'` : `strftime('%Y-%m-%d %H:%M:%f', ${payload('occurredAt')})`},
              recipients = (SELECT COUNT(*) FROM ${deliveryEvents} AS e WHERE e.event_id = ${jobEvents}.id)`,
    );
    const inbox = (await queryRunner.getTable('job_events'))!;
    await queryRunner.changeColumns('job_events', [...EVENT_COLUMNS, 'recipients'].map((name) => notNull(inbox.findColumnByName(name)!)));

    await queryRunner.dropForeignKeys('delivery_events', (await queryRunner.getTable('delivery_events'))!.foreignKeys);
    await queryRunner.addColumn('deliveries', new TableColumn({ name: 'event_id', type: 'varchar', length: '128', isNullable: true }));
    await queryRunner.query(`UPDATE ${deliveries} SET event_id = (SELECT e.event_id FROM ${deliveryEvents} AS e WHERE e.delivery_id = ${deliveries}.id AND e.position = 0)`);
    await queryRunner.changeColumns('deliveries', [notNull((await queryRunner.getTable('deliveries'))!.findColumnByName('event_id')!)]);
    await queryRunner.createForeignKey('deliveries', new TableForeignKey({ columnNames: ['event_id'], referencedTableName: 'notifications', referencedColumnNames: ['event_id'], onDelete: 'CASCADE' }));
    await queryRunner.createUniqueConstraint('deliveries', new TableUnique({ name: 'UQ_deliveries_event_recipient', columnNames: ['event_id', 'recipient_id'] }));
    await queryRunner.dropTable('delivery_events');
  }
}

/** A column added nullable (to be filled), made NOT NULL once filled. */
function notNull(oldColumn: TableColumn): { oldColumn: TableColumn; newColumn: TableColumn } {
  const newColumn = oldColumn.clone();
  newColumn.isNullable = false;
  return { oldColumn, newColumn };
}
