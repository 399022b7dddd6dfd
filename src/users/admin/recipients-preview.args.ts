import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsEnum } from 'class-validator';
import { NotificationType } from '../../event-types/notification-type';
import { ExternalId } from '../external-id';

@ArgsType()
export class RecipientsPreviewArgs {
  @Field(() => NotificationType, { description: 'The kind of event' })
  @IsEnum(NotificationType)
  eventType: NotificationType;

  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  applicationId: string;
}
