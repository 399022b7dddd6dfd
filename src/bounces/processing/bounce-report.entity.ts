import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Where a report is in its handling: CLAIMED (being read), MOVE or ASIDE (recorded;
 * to be moved to the processed or aside folder), DONE (nothing more to do, or
 * left where it is: a person's mail).
 */
export type ReportState = 'CLAIMED' | 'MOVE' | 'ASIDE' | 'DONE';

/**
 * One mail of the report mailbox, handled once across processes: the first to
 * insert the row holds it (claimed_by, until claimed_until; another process takes
 * it over after that), records what it said and marks it, in the transaction that
 * records the bounce.
 */
@Entity({ name: 'bounce_reports' })
export class BounceReportEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** The mailbox and folder (ReportMailbox.id). */
  @Column({ type: 'varchar', length: 255 })
  mailbox: string;

  /** The message in it (IMAP: UIDVALIDITY:UID). */
  @Column({ name: 'message_key', type: 'varchar', length: 255 })
  messageKey: string;

  @Column({ type: 'varchar', length: 16 })
  state: ReportState;

  @Column({ name: 'claimed_by', type: 'varchar', length: 64, nullable: true })
  claimedBy: string | null;

  @Column({ name: 'claimed_until', type: Date, nullable: true })
  claimedUntil: Date | null;

  /** What it was: BOUNCED, ALREADY_RECORDED, OTHER_RECIPIENT, UNKNOWN_MESSAGE, NOT_HERALDS, NOTICE, AUTO_REPLY, NOT_A_REPORT, UNREADABLE, GONE. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome: string | null;

  /** Why it was set aside. */
  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  subject: string | null;

  @Column({ name: 'delivery_id', type: 'integer', nullable: true })
  deliveryId: number | null;

  /** Moved or left as its state says (kept for the row's history; DONE rows have it). */
  @Column({ type: 'boolean', default: false })
  handled: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'processed_at', type: Date, nullable: true })
  processedAt: Date | null;
}
