import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEnum, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { NotificationType } from '../../event-types/notification-type';
import { ExternalId } from '../external-id';
import { NotificationFrequency } from '../frequency/notification-frequency';

@InputType({ description: "One type's default for an application's managers" })
export class ApplicationDefaultInput {
  @Field(() => NotificationType, { description: 'The event type' })
  @IsEnum(NotificationType)
  eventType: NotificationType;

  @Field(() => NotificationFrequency, { nullable: true, description: "How often its managers get it until they choose (NEVER: off); null forgets the default (back to the type's)" })
  @IsOptional() @IsEnum(NotificationFrequency)
  frequency: NotificationFrequency | null;

  @Field(() => Int, { nullable: true, description: "A DIGEST_DAILY default's hour (0–23), in the person's time zone (their timeZone, else the admin's default, else UTC); absent means 8" })
  @IsOptional() @IsInt() @Min(0) @Max(23)
  digestHour?: number | null;
}

@InputType({ description: "An application's notification defaults to change; types not named keep theirs" })
export class UpdateApplicationNotificationDefaultsInput {
  @Field(() => ID, { description: 'The application' })
  @ExternalId()
  applicationId: string;

  @Field(() => [ApplicationDefaultInput], { description: 'The defaults to set or forget' })
  @IsArray() @ArrayMaxSize(32) @ValidateNested({ each: true }) @Type(() => ApplicationDefaultInput)
  defaults: ApplicationDefaultInput[];
}
