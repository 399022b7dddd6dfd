import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { TargetKind } from './target-kind';

/**
 * A team's chat channel or endpoint that gets an application's notifications: a
 * Teams or Slack webhook, or a signed generic webhook. The URL posts as the team:
 * it is kept encrypted (`ENC(...)`, @herald/crypto) and only its host is shown.
 */
@Entity({ name: 'notification_targets' })
@Index('IDX_notification_targets_application', ['applicationId'])
export class NotificationTargetEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** The application's id in the console. */
  @Column({ name: 'application_id', type: 'varchar', length: 255 })
  applicationId: string;

  @Column({ type: 'varchar', length: 16 })
  kind: TargetKind;

  /** What the team calls it ("#billing-alerts"). */
  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** The webhook URL, encrypted. */
  @Column({ name: 'url', type: 'text' })
  encryptedUrl: string;

  /** The URL's host (shown, logged, the deliveries' address). */
  @Column({ type: 'varchar', length: 255 })
  host: string;

  /** WEBHOOK: the signing key, encrypted; null for Teams and Slack. */
  @Column({ name: 'secret', type: 'text', nullable: true })
  encryptedSecret: string | null;

  /** The notification types it gets, JSON text (["JOB_FAILED","JOB_RECOVERED"]). */
  @Column({ type: 'text' })
  types: string;

  /** A NotificationFrequency (never NEVER). */
  @Column({ type: 'varchar', length: 32 })
  frequency: string;

  @Column({ name: 'digest_hour', type: 'integer', nullable: true })
  digestHour: number | null;

  /** BCP 47 (null: the admin's default language). */
  @Column({ type: 'varchar', length: 35, nullable: true })
  language: string | null;

  /** IANA (null: the admin's default zone). */
  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Why it was disabled (the webhook answered 404 or 410: it was deleted). */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 500, nullable: true })
  disabledReason: string | null;

  @Column({ name: 'disabled_at', type: Date, nullable: true })
  disabledAt: Date | null;

  /** No post before this instant (epoch ms; null: any time), shared by every process (TargetPacing). */
  @Column({ name: 'not_before', type: 'bigint', nullable: true, select: false })
  notBefore: string | null;

  /** A post is under way until it ends, or at the latest this instant (epoch ms; TargetPacing). */
  @Column({ name: 'busy_until', type: 'bigint', nullable: true, select: false })
  busyUntil: string | null;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  /** Who added it (a console id). */
  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy: string;
}
