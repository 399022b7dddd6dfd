import { registerEnumType } from '@nestjs/graphql';
import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ApplicationEntity } from './application.entity';
import { UserEntity } from './user.entity';

/** What a person may do with an application. MANAGE is what brings notifications. */
export enum MembershipRole {
  MANAGE = 'MANAGE',
  VIEW = 'VIEW',
}
registerEnumType(MembershipRole, {
  name: 'MembershipRole', description: 'What a person may do with an application',
  valuesMap: {
    MANAGE: { description: 'Manages the application: receives its mails (per their preferences)' },
    VIEW: { description: 'Sees the application; receives no mails about it' },
  },
});

/** user × application × role. */
@Entity({ name: 'memberships' })
export class MembershipEntity {
  @PrimaryColumn({ name: 'application_id', type: 'integer' })
  applicationId: number;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  role: MembershipRole;

  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: ApplicationEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
