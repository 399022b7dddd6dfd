import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** bigint columns come back as strings from PostgreSQL: epoch milliseconds fit a JS number. */
const epochMs: ValueTransformer = { to: (value: number) => value, from: (value: string | number) => Number(value) };

/**
 * A person's current mail-cap window (src/notifications/cap/): from their first
 * mail after the last window ended, MAIL_CAP_WINDOW_MS long, and how many mails
 * were wanted in it — the first MAIL_CAP_COUNT went, the rest were folded into
 * the window's summary. Times are epoch milliseconds (UTC), compared as numbers.
 */
@Entity({ name: 'cap_windows', withoutRowid: true })
export class CapWindowEntity {
  @PrimaryColumn({ name: 'recipient_id', type: 'varchar', length: 255 })
  recipientId: string;

  @Column({ name: 'window_start', type: 'bigint', transformer: epochMs })
  windowStart: number;

  @Column({ name: 'window_end', type: 'bigint', transformer: epochMs })
  windowEnd: number;

  @Column({ type: 'integer' })
  mails: number;
}
