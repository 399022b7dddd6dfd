import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The write probe's row (DatabaseProbe): written and removed in one transaction, never kept. */
@Entity({ name: 'health_probe' })
export class HealthProbeEntity {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'text' })
  payload: string;
}
