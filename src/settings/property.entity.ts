import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One setting: a row of the key/value `properties` table (as in the product Herald replaces). */
@Entity({ name: 'properties' })
export class PropertyEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  key: string;

  @Column({ type: 'text', nullable: true })
  value: string | null;

  @Column({ name: 'updated_at', type: Date, default: () => 'CURRENT_TIMESTAMP' })
  updatedAt: Date;

  @Column({ name: 'updated_by', type: 'varchar', length: 255, nullable: true })
  updatedBy: string | null;
}
