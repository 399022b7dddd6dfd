import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The report mailbox as the processes last saw it: one row (id 1), written by whichever looked last. */
@Entity({ name: 'report_mailbox_state' })
export class ReportMailboxStateEntity {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  /** Which mailbox (ReportMailbox.id), or null when none is configured or it could not be opened. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  mailbox: string | null;

  @Column({ type: 'varchar', length: 16 })
  state: string;

  @Column({ type: Date })
  since: Date;

  @Column({ name: 'last_poll_at', type: Date, nullable: true })
  lastPollAt: Date | null;

  @Column({ name: 'last_success_at', type: Date, nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_error_at', type: Date, nullable: true })
  lastErrorAt: Date | null;

  @Column({ name: 'aside_at', type: Date, nullable: true })
  asideAt: Date | null;

  @Column({ name: 'aside_reason', type: 'text', nullable: true })
  asideReason: string | null;

  @Column({ name: 'aside_subject', type: 'varchar', length: 255, nullable: true })
  asideSubject: string | null;
}
