import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ApplicationEntity } from '../../users/entities/application.entity';

/** Where a subscription is: waiting for its confirmation link, receiving, or unsubscribed. */
export enum SubscriptionStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  UNSUBSCRIBED = 'UNSUBSCRIBED',
}

/**
 * An address that is not a console person (a team list), subscribed to one
 * application's events: the types it gets (subscribed_address_types) and how
 * often. Its deliveries' recipient id is `subscriber <id>`.
 */
@Entity({ name: 'subscribed_addresses' })
@Index('UQ_subscribed_addresses_application_address', ['applicationId', 'addressKey'], { unique: true })
export class SubscribedAddressEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'application_id', type: 'integer' })
  applicationId: number;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: ApplicationEntity;

  /** As given. */
  @Column({ type: 'varchar', length: 254 })
  address: string;

  /** Lowercase: one subscription per address and application, whatever its case. */
  @Column({ name: 'address_key', type: 'varchar', length: 254 })
  addressKey: string;

  /** A NotificationFrequency other than NEVER. */
  @Column({ type: 'varchar', length: 16 })
  frequency: string;

  @Column({ name: 'digest_hour', type: 'integer', nullable: true })
  digestHour: number | null;

  /** The language and time zone of its mails (null: the admin's defaults). */
  @Column({ type: 'varchar', length: 35, nullable: true })
  locale: string | null;

  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone: string | null;

  /** A SubscriptionStatus. */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  /** Changed at each confirmation mail: only the latest link confirms. */
  @Column({ name: 'confirmation_nonce', type: 'varchar', length: 32, nullable: true })
  confirmationNonce: string | null;

  @Column({ name: 'confirmation_sent_at', type: Date, nullable: true })
  confirmationSentAt: Date | null;

  @Column({ name: 'confirmed_at', type: Date, nullable: true })
  confirmedAt: Date | null;

  @Column({ name: 'unsubscribed_at', type: Date, nullable: true })
  unsubscribedAt: Date | null;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  /** Who subscribed it (a console id), and their name. */
  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy: string;

  @Column({ name: 'created_by_name', type: 'varchar', length: 255, nullable: true })
  createdByName: string | null;
}

/** One event type a subscription gets. */
@Entity({ name: 'subscribed_address_types' })
export class SubscribedAddressTypeEntity {
  @Column({ name: 'subscription_id', type: 'integer', primary: true })
  subscriptionId: number;

  @Column({ name: 'event_type', type: 'varchar', length: 64, primary: true })
  eventType: string;

  @ManyToOne(() => SubscribedAddressEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscription_id' })
  subscription?: SubscribedAddressEntity;
}
