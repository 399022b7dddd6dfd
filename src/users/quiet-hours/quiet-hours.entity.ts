import { Column, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

/** Whose quiet hours a row holds: a person's own, or a default an ADMIN set for an application or the installation. */
export enum QuietHoursScope {
  USER = 'USER',
  APPLICATION = 'APPLICATION',
  INSTALLATION = 'INSTALLATION',
}

/**
 * Quiet hours (src/users/quiet-hours/): one row per person, application or the
 * installation (owner_id '' for it). A person's row wins over their application's,
 * which wins over the installation's; a row with enabled false is "no quiet hours"
 * chosen, and wins as well.
 */
@Entity({ name: 'quiet_hours' })
@Unique('quiet_hours_scope_owner', ['scope', 'ownerId'])
export class QuietHoursEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 16 })
  scope: QuietHoursScope;

  /** The person's or the application's id in the console; '' for the installation. */
  @Column({ name: 'owner_id', type: 'varchar', length: 255 })
  ownerId: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** Local times 'HH:MM': quiet from start to end (over midnight when start is later). */
  @Column({ name: 'start_time', type: 'varchar', length: 5 })
  startTime: string;

  @Column({ name: 'end_time', type: 'varchar', length: 5 })
  endTime: string;

  /** Saturday and Sunday all day too. */
  @Column({ type: 'boolean' })
  weekends: boolean;

  /** The zone the times are in; null: each person's own (else the admin's default zone, else UTC). */
  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone: string | null;

  /** Event types that go at once even in quiet hours, comma-separated ('' for none). */
  @Column({ name: 'break_through', type: 'varchar', length: 1000 })
  breakThrough: string;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
