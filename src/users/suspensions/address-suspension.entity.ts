import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What bounces said of one address (lower-cased): the hard bounces counted in the
 * current window, the last bounce, and — while `suspended_at` is set — that it gets
 * no mail until `retry_at`, when one mail (`retry_delivery_id`) tries it again.
 * A row outlives its suspension (lifted_*), so counting starts again from it.
 */
@Entity({ name: 'address_suspensions' })
export class AddressSuspensionEntity {
  @PrimaryColumn({ type: 'varchar', length: 320 })
  address: string;

  /** Hard bounces other than an unknown user since window_started_at. */
  @Column({ name: 'hard_bounces', type: 'integer', default: 0 })
  hardBounces: number;

  @Column({ name: 'window_started_at', type: Date, nullable: true })
  windowStartedAt: Date | null;

  @Column({ name: 'last_bounce_at', type: Date, nullable: true })
  lastBounceAt: Date | null;

  @Column({ name: 'last_status', type: 'varchar', length: 16, nullable: true })
  lastStatus: string | null;

  @Column({ name: 'last_diagnostic', type: 'text', nullable: true })
  lastDiagnostic: string | null;

  @Column({ name: 'last_reporting_mta', type: 'varchar', length: 255, nullable: true })
  lastReportingMta: string | null;

  @Column({ name: 'last_delivery_id', type: 'integer', nullable: true })
  lastDeliveryId: number | null;

  /** Set while the address is suspended. */
  @Column({ name: 'suspended_at', type: Date, nullable: true })
  suspendedAt: Date | null;

  /** Why, as the cancelled deliveries and the person see it: `5.1.1 unknown user … (reported by …)`. */
  @Column({ type: 'text', nullable: true })
  reason: string | null;

  /** When one mail may try the address again; null while that mail is out. */
  @Column({ name: 'retry_at', type: Date, nullable: true })
  retryAt: Date | null;

  /** The mail trying the address again after the cooldown. */
  @Column({ name: 'retry_delivery_id', type: 'integer', nullable: true })
  retryDeliveryId: number | null;

  @Column({ name: 'lifted_at', type: Date, nullable: true })
  liftedAt: Date | null;

  @Column({ name: 'lifted_by', type: 'varchar', length: 255, nullable: true })
  liftedBy: string | null;

  @Column({ name: 'lift_reason', type: 'text', nullable: true })
  liftReason: string | null;
}
