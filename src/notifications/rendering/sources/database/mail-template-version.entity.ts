import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** How a version came about. */
export type MailTemplateChange = 'UPDATE' | 'RESET' | 'RESTORE';

/**
 * One version of an admin's template of a type (or the layout, type LAYOUT) in a
 * language: the latest per type and language is in effect. A part left null is
 * Herald's own (the files), so a reset is a version with all three null.
 */
@Entity({ name: 'mail_template_versions' })
@Index('UQ_mail_template_versions', ['type', 'language', 'version'], { unique: true })
export class MailTemplateVersionEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** A NotificationType, or LAYOUT. */
  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  language: string;

  /** 1, 2, 3 … per type and language. */
  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 16 })
  change: MailTemplateChange;

  /** For a RESTORE: the version it brought back. */
  @Column({ name: 'restored_from', type: 'integer', nullable: true })
  restoredFrom: number | null;

  @Column({ type: 'text', nullable: true })
  subject: string | null;

  @Column({ type: 'text', nullable: true })
  html: string | null;

  @Column({ type: 'text', nullable: true })
  text: string | null;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy: string;

  @Column({ name: 'created_by_name', type: 'varchar', length: 255, nullable: true })
  createdByName: string | null;
}
