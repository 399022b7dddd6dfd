import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The inbox: every event Herald accepted, once (its id is the key), with when and
 * how it came in. The event itself is stored once, by notifications (what its
 * mails are rendered from).
 */
@Entity({ name: 'job_events' })
export class JobEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id: string;

  @Column({ name: 'received_at', type: Date })
  receivedAt: Date;

  @Column({ type: 'varchar', length: 16 })
  source: string;
}
