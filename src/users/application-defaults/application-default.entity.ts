import { Column, Entity, JoinColumn, ManyToOne } from 'typeorm';
import { ApplicationEntity } from '../entities/application.entity';

/**
 * What a manager of an application gets of one event type until they choose
 * otherwise (an ADMIN's updateApplicationNotificationDefaults). A person's own
 * choice — for the application or for every application — always wins; no row
 * means the type's default (the catalogue's).
 */
@Entity({ name: 'application_notification_defaults' })
export class ApplicationDefaultEntity {
  @Column({ name: 'application_id', type: 'integer', primary: true })
  applicationId: number;

  @Column({ name: 'event_type', type: 'varchar', length: 64, primary: true })
  eventType: string;

  /** A NotificationFrequency; NEVER: off by default for this application. */
  @Column({ type: 'varchar', length: 16 })
  frequency: string;

  @Column({ name: 'digest_hour', type: 'integer', nullable: true })
  digestHour: number | null;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;

  @Column({ name: 'updated_by', type: 'varchar', length: 255 })
  updatedBy: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: ApplicationEntity;
}
