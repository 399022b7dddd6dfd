import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

// The peer stack's own tables — the same shape as Herald's users, applications,
// memberships and preferences, so both are seeded with the same rows — written
// as a team would for this service alone (Herald's entities would also load
// @nestjs/graphql, which this stack does not use).

@Entity({ name: 'users' })
export class PeerUser {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'external_id', type: 'varchar', length: 255, unique: true })
  externalId: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email: string | null;

  @Column({ name: 'notifications_enabled', type: 'boolean' })
  notificationsEnabled: boolean;

  @Column({ type: 'varchar', length: 35, nullable: true })
  locale: string | null;
}

@Entity({ name: 'applications' })
export class PeerApplication {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'external_id', type: 'varchar', length: 255, unique: true })
  externalId: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;
}

/** user × application × role; MANAGE brings notifications. */
@Entity({ name: 'memberships' })
export class PeerMembership {
  @PrimaryColumn({ name: 'application_id', type: 'integer' })
  applicationId: number;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  role: 'MANAGE' | 'VIEW';

  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;
}

/** A person's choice for one event type, for one application or (null) all. */
@Entity({ name: 'preferences' })
export class PeerPreference {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Column({ name: 'application_id', type: 'integer', nullable: true })
  applicationId: number | null;

  @Column({ type: 'boolean' })
  enabled: boolean;
}

export const PEER_ENTITIES = [PeerUser, PeerApplication, PeerMembership, PeerPreference];
