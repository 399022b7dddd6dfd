import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../frequency/notification-frequency';

/** Why a person will not receive an event type. */
export enum NotReceivingReason {
  NO_EMAIL = 'NO_EMAIL',
  NOTIFICATIONS_OFF = 'NOTIFICATIONS_OFF',
  OPTED_OUT = 'OPTED_OUT',
}
registerEnumType(NotReceivingReason, {
  name: 'NotReceivingReason',
  description: 'Why a person does not receive an event type',
  valuesMap: {
    NO_EMAIL: { description: 'They have no email address' },
    NOTIFICATIONS_OFF: { description: 'Their profile switch (notificationsEnabled) is off' },
    OPTED_OUT: { description: 'They turned this event type off' },
  },
});

/** Why a person does not receive a type they have switched `enabled` (on or off); null when they do. */
export function notReceivingReason(person: { email: string | null; notificationsEnabled: boolean }, enabled: boolean): NotReceivingReason | null {
  if (!person.email) return NotReceivingReason.NO_EMAIL;
  if (!person.notificationsEnabled) return NotReceivingReason.NOTIFICATIONS_OFF;
  return enabled ? null : NotReceivingReason.OPTED_OUT;
}

export enum PreferenceSource {
  /** The catalogue's default: the person has not chosen. */
  DEFAULT = 'DEFAULT',
  /** The person's own choice. */
  USER = 'USER',
}
registerEnumType(PreferenceSource, {
  name: 'PreferenceSource',
  description: 'Where a choice comes from',
  valuesMap: {
    DEFAULT: { description: 'The default for the event type: the person has not chosen' },
    USER: { description: "The person's own choice" },
  },
});

@ObjectType('ApplicationPreference', { description: 'A choice for one application, overriding the global one' })
export class ApplicationPreferenceModel {
  @Field(() => ID, { description: "The console's id of the application" }) applicationId: string;
  @Field({ description: 'On or off for this application' }) enabled: boolean;
  @Field(() => NotificationFrequency, { description: 'How often for this application (NEVER when off)' }) frequency: NotificationFrequency;
  @Field(() => Int, { nullable: true, description: "The hour (0–23) the daily digest leaves, in the person's time zone (their timeZone, else the admin's default, else UTC), when frequency is DIGEST_DAILY" }) digestHour: number | null;
}

@ObjectType('EffectivePreference', { description: 'What a person will actually receive for one event type, and why not' })
export class EffectivePreferenceModel {
  @Field(() => NotificationType, { description: 'The kind of event' }) eventType: NotificationType;
  @Field({ description: 'A human name for the event type, e.g. Job failed' }) label: string;
  @Field({ description: 'The global choice (for every application)' }) enabled: boolean;
  @Field(() => NotificationFrequency, { description: 'How often, globally (NEVER when off); IMMEDIATELY unless the person chose' }) frequency: NotificationFrequency;
  @Field(() => Int, { nullable: true, description: "The hour (0–23) the daily digest leaves, in the person's time zone (their timeZone, else the admin's default, else UTC), when frequency is DIGEST_DAILY" }) digestHour: number | null;
  @Field(() => PreferenceSource, { description: "Whether enabled is the person's choice or the default" }) source: PreferenceSource;
  @Field(() => [ApplicationPreferenceModel], { description: 'Per-application choices, which win over the global one' })
  applicationOverrides: ApplicationPreferenceModel[];
  @Field({ description: 'Whether mails of this type reach the person (for applications without an override)' })
  receives: boolean;
  @Field(() => NotReceivingReason, { nullable: true, description: 'Why receives is false; null when it is true' }) reason: NotReceivingReason | null;
}
