import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { NotificationFrequency } from '../frequency/notification-frequency';

/** When a recipient would get the mail, given how often they want it. */
export enum RecipientTiming {
  NOW = 'NOW',
  IN_DIGEST = 'IN_DIGEST',
  FIRST_FAILURE_ONLY = 'FIRST_FAILURE_ONLY',
}
registerEnumType(RecipientTiming, {
  name: 'RecipientTiming',
  description: 'When a recipient would get a mail about the event',
  valuesMap: {
    NOW: { description: 'At once, a mail for the event' },
    IN_DIGEST: { description: 'In the digest mail at the end of the window (digestWindowStart–digestWindowEnd)' },
    FIRST_FAILURE_ONLY: { description: 'At once if it is the first failure in a row; not if the job was already failing (FIRST_AND_FIXED)' },
  },
});

@ObjectType('Recipient', { description: 'Someone who would receive a mail' })
export class RecipientModel {
  @Field(() => ID, { description: "The person's id" }) userId: string;
  @Field({ description: 'Where the mail would go' }) email: string;
  @Field(() => String, { nullable: true, description: 'Their name, as the mail would greet them' }) displayName: string | null;
  @Field(() => String, { nullable: true, description: 'The language of their mail (BCP 47), when set' }) locale: string | null;
  @Field(() => NotificationFrequency, { description: 'How often they want this event type about this application' }) frequency: NotificationFrequency;
  @Field(() => RecipientTiming, { description: 'When they would get a mail about an event now' }) timing: RecipientTiming;
  @Field({ description: 'The same for people, e.g. "now" or "in the hourly digest of 2026-11-24 14:00–15:00 UTC"' }) when: string;
  @Field(() => Date, { nullable: true, description: 'The start of the digest window an event now falls in (IN_DIGEST only)' }) digestWindowStart: Date | null;
  @Field(() => Date, { nullable: true, description: 'The end of that window: when the digest mail leaves (IN_DIGEST only)' }) digestWindowEnd: Date | null;
}
