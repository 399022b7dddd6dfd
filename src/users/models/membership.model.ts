import { Field, ObjectType } from '@nestjs/graphql';
import { MembershipRole } from '../entities/membership.entity';
import { ApplicationModel } from './application.model';
import { UserModel } from './user.model';

@ObjectType('Membership', { description: 'What a person may do with an application' })
export class MembershipModel {
  @Field(() => ApplicationModel) application: ApplicationModel;
  @Field(() => UserModel) user: UserModel;
  @Field(() => MembershipRole) role: MembershipRole;
}
