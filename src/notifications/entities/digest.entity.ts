import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { FoldKind } from './digest-entry.entity';

/**
 * A digest (or a cap summary) sent: one per person, window, kind and channel (the unique
 * key is what makes it exactly one when several processes close the same
 * window), and its delivery.
 */
@Entity({ name: 'digests' })
@Unique('digests_recipient_window_kind_channel', ['recipientId', 'windowEnd', 'kind', 'channel'])
export class DigestEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'recipient_id', type: 'varchar', length: 255 })
  recipientId: string;

  @Column({ name: 'window_start', type: Date })
  windowStart: Date;

  @Column({ name: 'window_end', type: Date })
  windowEnd: Date;

  /** The process that closed the window (to know, after an insert that may have done nothing, whether it won). */
  @Column({ type: 'varchar', length: 64 })
  closer: string;

  @Column({ type: 'varchar', length: 16, default: FoldKind.DIGEST })
  kind: FoldKind;

  @Column({ type: 'varchar', length: 32 })
  channel: string;

  @Index()
  @Column({ name: 'delivery_id', type: 'integer', nullable: true })
  deliveryId: number | null;
}
