import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One per event: the validated event as received (JSON), the one place it is
 * stored — its mails are rendered from it, and event(id) answers from it.
 */
@Entity({ name: 'notifications' })
export class NotificationEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId: string;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Column({ type: 'text' })
  payload: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
