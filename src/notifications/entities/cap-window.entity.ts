import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A person's current mail-cap window (src/notifications/cap/): from their first
 * mail after the last window ended, MAIL_CAP_WINDOW_MS long, and how many mails
 * were wanted in it — the first MAIL_CAP_COUNT went, the rest were folded into
 * the window's summary. Times are ISO-8601 UTC strings (`toISOString`), compared
 * as text: they order as the instants do, on both databases.
 */
@Entity({ name: 'cap_windows' })
export class CapWindowEntity {
  @PrimaryColumn({ name: 'recipient_id', type: 'varchar', length: 255 })
  recipientId: string;

  @Column({ name: 'window_start', type: 'varchar', length: 32 })
  windowStart: string;

  @Column({ name: 'window_end', type: 'varchar', length: 32 })
  windowEnd: string;

  @Column({ type: 'integer' })
  mails: number;
}
