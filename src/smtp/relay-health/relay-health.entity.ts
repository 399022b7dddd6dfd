import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The relay's state, one row shared by every Herald process on the database
 * (RelayHealth): the circuit, the last success and failure, when the relay is
 * probed next and by whom, and until when sending is paced.
 */
@Entity({ name: 'relay_health' })
export class RelayHealthEntity {
  /** Always `relay`: one row. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id: string;

  /** OK, DEGRADED or DOWN (NOT_CONFIGURED is read from the settings, never stored). */
  @Column({ type: 'varchar', length: 16 })
  state: string;

  @Column({ type: Date })
  since: Date;

  @Column({ name: 'last_success_at', type: Date, nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_failure_step', type: 'varchar', length: 16, nullable: true })
  lastFailureStep: string | null;

  @Column({ name: 'last_failure_reply', type: 'text', nullable: true })
  lastFailureReply: string | null;

  @Column({ name: 'last_failure_description', type: 'text', nullable: true })
  lastFailureDescription: string | null;

  @Column({ name: 'last_failure_at', type: Date, nullable: true })
  lastFailureAt: Date | null;

  /** While DOWN: when the relay is probed next. */
  @Column({ name: 'next_probe_at', type: Date, nullable: true })
  nextProbeAt: Date | null;

  /** While DOWN: the wait after the next failed probe (doubles up to RELAY_PROBE_MAX_MS). */
  @Column({ name: 'probe_delay_ms', type: 'integer', default: 0 })
  probeDelayMs: number;

  /** The process probing now, and until when its lease holds (another takes over after). */
  @Column({ name: 'probe_owner', type: 'varchar', length: 255, nullable: true })
  probeOwner: string | null;

  @Column({ name: 'probe_lease_until', type: Date, nullable: true })
  probeLeaseUntil: Date | null;

  /** Sending is paced (the quota, or the relay asked to slow down) until then, and why. */
  @Column({ name: 'paced_until', type: Date, nullable: true })
  pacedUntil: Date | null;

  @Column({ name: 'paced_reason', type: 'text', nullable: true })
  pacedReason: string | null;

  /** The pause after the next throttling reply (grows while the relay keeps asking; reset by a success). */
  @Column({ name: 'throttle_ms', type: 'integer', default: 0 })
  throttleMs: number;

  /**
   * After a throttling reply: at most this many messages a minute (halved at each
   * such reply, grown back while replies are clean), until it reaches `pacedRateMax`
   * (the pace the relay refused) or the quota; null: no such limit.
   */
  @Column({ name: 'paced_rate', type: 'integer', nullable: true })
  pacedRate: number | null;

  @Column({ name: 'paced_rate_max', type: 'integer', nullable: true })
  pacedRateMax: number | null;

  /** When the rate last changed (halved or grown). */
  @Column({ name: 'paced_rate_at', type: Date, nullable: true })
  pacedRateAt: Date | null;

  /** The throttling reply that last halved it. */
  @Column({ name: 'paced_rate_reply', type: 'text', nullable: true })
  pacedRateReply: string | null;
}
