import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { Identifier, JobEventType, SingleLineText } from '@herald/contracts';
import { PageArgs } from '../../graphql/pagination';
import { MembershipRole } from '../entities/membership.entity';
import { ProfileFields } from './profile-fields';

/** An id of the console: 1–255 characters, no white space or control characters. */
const ExternalId = (): PropertyDecorator => Identifier({ maxLength: 255 });

@InputType()
export class UpdateMyProfileInput extends ProfileFields {}

@InputType()
export class UpdateUserInput extends ProfileFields {
  @Field(() => ID, { description: 'The person to change' })
  @ExternalId()
  userId: string;
}

@InputType()
export class SetNotificationPreferenceInput {
  @Field(() => JobEventType)
  @IsEnum(JobEventType)
  eventType: JobEventType;

  @Field(() => ID, { nullable: true, description: 'Only for this application; absent means every application' })
  @IsOptional() @ExternalId()
  applicationId?: string;

  @Field(() => Boolean, { nullable: true, description: 'On or off; null forgets the choice (back to the default or the global choice)' })
  @IsOptional() @IsBoolean()
  enabled: boolean | null;
}

@InputType()
export class CreateApplicationInput {
  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  id: string;

  @Field()
  @SingleLineText({ maxLength: 255 })
  name: string;
}

@InputType()
export class UpdateApplicationInput extends CreateApplicationInput {}

@InputType()
export class DeleteApplicationInput {
  @Field(() => ID)
  @ExternalId()
  id: string;
}

@InputType()
export class MembershipInput {
  @Field(() => ID, { description: "The person's id (created if Herald does not know them yet)" })
  @ExternalId()
  userId: string;

  @Field(() => ID)
  @ExternalId()
  applicationId: string;

  @Field(() => MembershipRole, { defaultValue: MembershipRole.MANAGE })
  @IsEnum(MembershipRole)
  role: MembershipRole = MembershipRole.MANAGE;
}

@ArgsType()
export class SearchPageArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Matches id, name or email, case-insensitively' })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  search?: string;
}

@ArgsType()
export class RecipientsPreviewArgs {
  @Field(() => JobEventType)
  @IsEnum(JobEventType)
  eventType: JobEventType;

  @Field(() => ID)
  @ExternalId()
  applicationId: string;
}
