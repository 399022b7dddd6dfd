import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How much of the relay's quota one period has used, shared by every Herald
 * process on the database: `period` is `m:<minute since epoch>` or `d:<UTC date>`.
 */
@Entity({ name: 'relay_quota_usage' })
export class RelayQuotaUsageEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  period: string;

  @Column({ type: 'integer' })
  used: number;
}
