import { Field, ID, InputType } from '@nestjs/graphql';
import { JobEventType, VersionCreatedEvent } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { PersonRefInput } from '../shared-inputs';

@InputType({ description: 'A version of an application' })
export class VersionRefInput {
  @Field({ description: "The version's name, e.g. 2.4.0" }) name: string;
  @Field(() => ID, { nullable: true, description: "The console's id of the version" }) id?: string;
}

export const versionCreated = defineEventType<VersionCreatedEvent>(__dirname, {
  type: JobEventType.VERSION_CREATED,
  wire: VersionCreatedEvent,
  description: 'A new version of an application was created',
  label: 'New version created',
  enabledByDefault: true,
  input: { version: { type: () => VersionRefInput }, createdBy: { type: () => PersonRefInput } },
  variables: {
    version: 'The version created',
    'version.name': "The version's name",
    'version.id': "The console's id of the version (absent when the event does not say)",
    createdBy: 'Who created it: their name, else their id (absent when the event does not say)',
  },
  view: (event, t) => ({
    subject: t('subject', { version: event.version.name }),
    heading: t('heading'),
    details: { version: event.version, createdBy: event.createdBy && (event.createdBy.name ?? event.createdBy.id) },
  }),
});
