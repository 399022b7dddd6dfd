import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What changed in one field. A secret says only that it changed: the type has no
 * room for its value (nor a hash of it).
 */
export type AuditFieldChange = { field: string; before: string | null; after: string | null } | { field: string; secret: true };

/** One change, written in the transaction that made it (AuditLog.record). */
@Entity({ name: 'audit_log' })
@Index('IDX_audit_log_kind', ['kind', 'id'])
@Index('IDX_audit_log_at', ['at'])
export class AuditEntryEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** From the injectable Clock. */
  @Column({ type: Date })
  at: Date;

  /** An AuditKind, as text: kinds are added without a migration. */
  @Column({ type: 'varchar', length: 64 })
  kind: string;

  @Column({ type: 'varchar', length: 255 })
  target: string;

  @Column({ name: 'actor_id', type: 'varchar', length: 255 })
  actorId: string;

  @Column({ name: 'actor_name', type: 'varchar', length: 255, nullable: true })
  actorName: string | null;

  /** AuditFieldChange[] as JSON text. */
  @Column({ type: 'text' })
  fields: string;
}
