import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The inbox: every event Herald accepted, once (its id is the key). */
@Entity({ name: 'job_events' })
export class JobEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ name: 'schema_version', type: 'integer' })
  schemaVersion: number;

  @Column({ name: 'application_id', type: 'varchar', length: 255 })
  applicationId: string;

  @Column({ name: 'application_name', type: 'varchar', length: 255 })
  applicationName: string;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt: Date;

  @Column({ name: 'received_at', type: Date })
  receivedAt: Date;

  @Column({ type: 'varchar', length: 16 })
  source: string;

  /** How many deliveries were planned. */
  @Column({ type: 'integer' })
  recipients: number;
}
