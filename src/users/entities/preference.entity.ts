import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ApplicationEntity } from './application.entity';
import { UserEntity } from './user.entity';

/**
 * A person's choice for one event type: for every application (applicationId
 * null) or for one. No row means the catalogue's default.
 */
@Entity({ name: 'preferences' })
export class PreferenceEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Column({ name: 'application_id', type: 'integer', nullable: true })
  applicationId: number | null;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** How often (NotificationFrequency) when enabled; null is IMMEDIATELY. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  frequency: string | null;

  /** A daily digest's hour (0–23), when frequency is DIGEST_DAILY. */
  @Column({ name: 'digest_hour', type: 'integer', nullable: true })
  digestHour: number | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: ApplicationEntity | null;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
