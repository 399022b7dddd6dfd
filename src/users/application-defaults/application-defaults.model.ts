import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../frequency/notification-frequency';

@ObjectType('ApplicationDefault', { description: "What an application's managers get of one type until they choose otherwise" })
export class ApplicationDefaultModel {
  @Field(() => NotificationType, { description: 'The event type' }) eventType: NotificationType;
  @Field(() => NotificationFrequency, { description: 'How often (NEVER: off by default for this application)' }) frequency: NotificationFrequency;
  @Field(() => Int, { nullable: true, description: "A DIGEST_DAILY default's hour (0–23), in the person's time zone (their timeZone, else the admin's default, else UTC)" }) digestHour: number | null;
}

@ObjectType('ApplicationNotificationDefaults', { description: "An application's notification defaults: a person's own choice always wins over them; types not listed follow the type's default" })
export class ApplicationNotificationDefaultsModel {
  @Field(() => ID, { description: 'The application' }) applicationId: string;
  @Field(() => [ApplicationDefaultModel], { description: 'Its defaults, by type' }) defaults: ApplicationDefaultModel[];
}
