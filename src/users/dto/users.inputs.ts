import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Identifier, SingleLineText } from '@herald/contracts';
import { PageArgs } from '../../graphql/pagination';
import { MembershipRole } from '../entities/membership.entity';
import { ProfileFields } from './profile-fields';
import { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../frequency/notification-frequency';

/** An id of the console: 1–255 characters, no white space or control characters. */
const ExternalId = (): PropertyDecorator => Identifier({ maxLength: 255 });

@InputType({ description: 'Changes to your own profile; absent fields keep their value, null clears one' })
export class UpdateMyProfileInput extends ProfileFields {}

@InputType({ description: "Changes to a person's profile; absent fields keep their value, null clears one" })
export class UpdateUserInput extends ProfileFields {
  @Field(() => ID, { description: 'The person to change' })
  @ExternalId()
  userId: string;
}

@InputType({ description: 'One choice: an event type on or off, or how often, everywhere or for one application' })
export class SetNotificationPreferenceInput {
  @Field(() => NotificationType, { description: 'The kind of event' })
  @IsEnum(NotificationType)
  eventType: NotificationType;

  @Field(() => ID, { nullable: true, description: 'Only for this application; absent means every application' })
  @IsOptional() @ExternalId()
  applicationId?: string;

  @Field(() => Boolean, { nullable: true, description: 'On or off; null forgets the choice (back to the default or the global choice)' })
  @IsOptional() @IsBoolean()
  enabled: boolean | null;

  @Field(() => NotificationFrequency, { nullable: true, description: 'How often (instead of enabled: NEVER is off, the others on); absent with enabled true means IMMEDIATELY' })
  @IsOptional() @IsEnum(NotificationFrequency)
  frequency?: NotificationFrequency | null;

  @Field(() => Int, { nullable: true, description: 'The hour (0–23, UTC until people have a time zone) a DIGEST_DAILY mail leaves; absent means 8' })
  @IsOptional() @IsInt() @Min(0) @Max(23)
  digestHour?: number | null;
}

@InputType({ description: 'An application of the console' })
export class CreateApplicationInput {
  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  id: string;

  @Field({ description: 'Its name, as shown in mails' })
  @SingleLineText({ maxLength: 255 })
  name: string;
}

@InputType({ description: 'An application and its new name' })
export class UpdateApplicationInput extends CreateApplicationInput {}

@InputType({ description: 'The application to delete' })
export class DeleteApplicationInput {
  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  id: string;
}

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

@ArgsType()
export class SearchPageArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Matches id, name or email, case-insensitively' })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  search?: string;
}

@ArgsType()
export class RecipientsPreviewArgs {
  @Field(() => NotificationType, { description: 'The kind of event' })
  @IsEnum(NotificationType)
  eventType: NotificationType;

  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  applicationId: string;
}
