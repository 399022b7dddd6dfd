import { Field, ID, InputType } from '@nestjs/graphql';
import { IsEnum } from 'class-validator';
import { MembershipRole } from '../entities/membership.entity';
import { ExternalId } from '../external-id';

@InputType({ description: "A person's role on an application" })
export class MembershipInput {
  @Field(() => ID, { description: "The person's id (created if Herald does not know them yet)" })
  @ExternalId()
  userId: string;

  @Field(() => ID, { description: "The console's id of the application (it must exist: createApplication)" })
  @ExternalId()
  applicationId: string;

  @Field(() => MembershipRole, { defaultValue: MembershipRole.MANAGE, description: 'MANAGE (gets the mails) or VIEW' })
  @IsEnum(MembershipRole)
  role: MembershipRole = MembershipRole.MANAGE;
}
