import { Field, ObjectType } from '@nestjs/graphql';
import { MembershipRole } from '../entities/membership.entity';
import { ApplicationModel } from './application.model';
import { UserModel } from '../user.model';

@ObjectType('Membership', { description: 'What a person may do with an application' })
export class MembershipModel {
  @Field(() => ApplicationModel, { description: 'The application' }) application: ApplicationModel;
  @Field(() => UserModel, { description: 'The person' }) user: UserModel;
  @Field(() => MembershipRole, { description: 'What they may do with it' }) role: MembershipRole;
}
