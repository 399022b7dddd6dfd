import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JobEventType } from '@herald/contracts';

registerEnumType(JobEventType, { name: 'JobEventType', description: 'The kinds of events Herald mails about' });

/** Why a person will not receive an event type. */
export enum NotReceivingReason {
  NO_EMAIL = 'NO_EMAIL',
  NOTIFICATIONS_OFF = 'NOTIFICATIONS_OFF',
  OPTED_OUT = 'OPTED_OUT',
}
registerEnumType(NotReceivingReason, { name: 'NotReceivingReason' });

export enum PreferenceSource {
  /** The catalogue's default: the person has not chosen. */
  DEFAULT = 'DEFAULT',
  /** The person's own choice. */
  USER = 'USER',
}
registerEnumType(PreferenceSource, { name: 'PreferenceSource' });

@ObjectType('ApplicationPreference', { description: 'A choice for one application, overriding the global one' })
export class ApplicationPreferenceModel {
  @Field(() => ID) applicationId: string;
  @Field() enabled: boolean;
}

@ObjectType('EffectivePreference', { description: 'What a person will actually receive for one event type, and why not' })
export class EffectivePreferenceModel {
  @Field(() => JobEventType) eventType: JobEventType;
  @Field() label: string;
  @Field({ description: 'The global choice (for every application)' }) enabled: boolean;
  @Field(() => PreferenceSource) source: PreferenceSource;
  @Field(() => [ApplicationPreferenceModel], { description: 'Per-application choices, which win over the global one' })
  applicationOverrides: ApplicationPreferenceModel[];
  @Field({ description: 'Whether mails of this type reach the person (for applications without an override)' })
  receives: boolean;
  @Field(() => NotReceivingReason, { nullable: true }) reason: NotReceivingReason | null;
}
