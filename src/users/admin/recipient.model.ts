import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { NotificationFrequency } from '../frequency/notification-frequency';
import { RecipientTiming } from '../frequency/recipient-timing';
import { PreferenceRule } from '../recipients/recipients.service';

registerEnumType(PreferenceRule, {
  name: 'PreferenceRule',
  description: 'What decided how often a person gets a type about an application: the first of these that exists',
  valuesMap: {
    PERSON_APPLICATION: { description: 'Their own choice for this application' },
    PERSON_GLOBAL: { description: 'Their own choice for every application' },
    APPLICATION_DEFAULT: { description: "The application's default (updateApplicationNotificationDefaults)" },
    TYPE_DEFAULT: { description: "The type's default (the catalogue's)" },
  },
});

@ObjectType('Recipient', { description: 'Someone who would receive a mail' })
export class RecipientModel {
  @Field(() => ID, { description: "The person's id" }) userId: string;
  @Field({ description: 'Where the mail would go' }) email: string;
  @Field(() => String, { nullable: true, description: 'Their name, as the mail would greet them' }) displayName: string | null;
  @Field(() => String, { nullable: true, description: 'The language of their mail (BCP 47), when set' }) locale: string | null;
  @Field(() => String, { nullable: true, description: 'The time zone of their mail (IANA), when set' }) timeZone: string | null;
  @Field(() => NotificationFrequency, { description: 'How often they want this event type about this application' }) frequency: NotificationFrequency;
  @Field(() => PreferenceRule, { description: 'Which rule decided the frequency: their own choice (for this application, or for every one) always wins over the application\'s default, which wins over the type\'s' }) rule: PreferenceRule;
  @Field(() => RecipientTiming, { description: 'When they would get a mail about an event now' }) timing: RecipientTiming;
  @Field({ description: 'The same for people, e.g. "now", "in the hourly digest of 2026-11-24 14:00–15:00 UTC" or "in the cap summary at 2026-11-24 14:10 UTC: …"' }) when: string;
  @Field(() => Date, { nullable: true, description: 'The start of the digest window an event now falls in (IN_DIGEST only)' }) digestWindowStart: Date | null;
  @Field(() => Date, { nullable: true, description: 'The end of that window: when the digest mail leaves (IN_DIGEST only)' }) digestWindowEnd: Date | null;
  @Field(() => Date, { nullable: true, description: "When the mail cap's summary a mail now would be folded into leaves: the end of their full cap window (CAP_SUMMARY only)" }) capSummaryAt: Date | null;
}
