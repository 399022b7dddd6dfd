import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A person of the console. `externalId` is their token's `sub`; it is their id in the API. */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'external_id', type: 'varchar', length: 255, unique: true })
  externalId: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email: string | null;

  /** `email` as address suspensions key it (users/suspensions addressKey: lower-cased in JavaScript, not by SQL LOWER); set with it. */
  @Column({ name: 'email_key', type: 'varchar', length: 320, nullable: true })
  emailKey: string | null;

  @Column({ name: 'notifications_enabled', type: 'boolean' })
  notificationsEnabled: boolean;

  @Column({ type: 'varchar', length: 35, nullable: true })
  locale: string | null;

  /** Their last token had the ADMIN role (roles live in tokens; this is kept for the admins' alerts). */
  @Column({ type: 'boolean', default: false })
  admin: boolean;

  /** IANA time zone of the times in their mails; null: the admin's default. */
  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
