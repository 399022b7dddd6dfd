import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What a mail about several events is: a digest the person asked for, the summary
 * of what the mail cap held back, or the mails quiet hours held (one event: its own
 * mail; several: one digest), leaving when they end.
 */
export enum FoldKind {
  DIGEST = 'DIGEST',
  SUMMARY = 'SUMMARY',
  QUIET = 'QUIET',
}

/**
 * An event waiting for a person's digest: planned for someone whose frequency
 * is DIGEST_*, kept until its window ends (src/notifications/digests/) — or,
 * of kind SUMMARY, an event the mail cap folded (src/notifications/cap/), kept
 * until the cap window ends; of kind QUIET, a mail quiet hours held
 * (src/users/quiet-hours/), kept until they end (window_end). In the database, so a restart in the middle of a
 * window loses nothing.
 */
@Entity({ name: 'digest_entries' })
@Index(['windowEnd'])
@Index(['recipientId', 'windowEnd'])
export class DigestEntryEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'recipient_id', type: 'varchar', length: 255 })
  recipientId: string;

  @Column({ name: 'window_start', type: Date })
  windowStart: Date;

  /** When the digest leaves. */
  @Column({ name: 'window_end', type: Date })
  windowEnd: Date;

  @Column({ name: 'event_id', type: 'varchar', length: 128 })
  eventId: string;

  /** The type it is delivered as. */
  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Column({ name: 'application_id', type: 'varchar', length: 255 })
  applicationId: string;

  /** The channel and address its digest goes to. */
  @Column({ type: 'varchar', length: 32 })
  channel: string;

  @Column({ type: 'varchar', length: 320 })
  address: string;

  @Column({ name: 'recipient_name', type: 'varchar', length: 255, nullable: true })
  recipientName: string | null;

  @Column({ name: 'recipient_locale', type: 'varchar', length: 35, nullable: true })
  recipientLocale: string | null;

  /** The zone the window was computed in (the person's, else the admin's default then); the digest is written in it. */
  @Column({ name: 'recipient_time_zone', type: 'varchar', length: 64, nullable: true })
  recipientTimeZone: string | null;

  @Column({ type: 'varchar', length: 16, default: FoldKind.DIGEST })
  kind: FoldKind;
}
