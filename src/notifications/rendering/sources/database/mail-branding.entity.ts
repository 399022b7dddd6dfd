import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The branding admins set (one row, id 1); `revision` grows with each change. */
@Entity({ name: 'mail_branding' })
export class MailBrandingEntity {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'integer' })
  revision: number;

  @Column({ name: 'product_name', type: 'varchar', length: 100, nullable: true })
  productName: string | null;

  /** An https URL the reader's mail client loads. */
  @Column({ name: 'logo_url', type: 'varchar', length: 2048, nullable: true })
  logoUrl: string | null;

  /** A logo Herald keeps: its media type and bytes (base64), attached inline to each mail. */
  @Column({ name: 'logo_type', type: 'varchar', length: 32, nullable: true })
  logoType: string | null;

  @Column({ name: 'logo_data', type: 'text', nullable: true })
  logoData: string | null;

  @Column({ name: 'accent_color', type: 'varchar', length: 7, nullable: true })
  accentColor: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  footer: string | null;

  @Column({ name: 'help_link', type: 'varchar', length: 2048, nullable: true })
  helpLink: string | null;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;

  @Column({ name: 'updated_by', type: 'varchar', length: 255 })
  updatedBy: string;

  @Column({ name: 'updated_by_name', type: 'varchar', length: 255, nullable: true })
  updatedByName: string | null;
}
