import { ApplicationCreatedEvent, JobEventType } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { ManagerRefInput, PersonRefInput } from '../shared-inputs';

export const applicationCreated = defineEventType<ApplicationCreatedEvent>(__dirname, {
  type: JobEventType.APPLICATION_CREATED,
  wire: ApplicationCreatedEvent,
  description: 'An application was created in the console',
  label: 'Application created',
  enabledByDefault: true,
  input: { createdBy: { type: () => PersonRefInput }, managers: { type: () => [ManagerRefInput] } },
  variables: { createdBy: 'Who created the application: their name, else their id (absent when the event does not say)' },
  view: (event, t) => ({
    subject: t('heading'),
    heading: t('heading'),
    details: { createdBy: event.createdBy && (event.createdBy.name ?? event.createdBy.id) },
  }),
});
