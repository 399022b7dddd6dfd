import { registerEnumType } from '@nestjs/graphql';
import { applicationCreated } from './application-created/application-created.type';
import type { EventTypeDefinition, InputField } from './event-type';
import { jobFailed } from './job-failed/job-failed.type';
import { jobRecovered } from './job-recovered/job-recovered.type';
import { jobStopped } from './job-stopped/job-stopped.type';
import { jobSucceeded } from './job-succeeded/job-succeeded.type';
import { NOTIFICATION_TYPES, NotificationType } from './notification-type';
import { targetDisabled } from './target-disabled/target-disabled.type';
import { versionCreated } from './version-created/version-created.type';

/**
 * The one list of event types Herald mails about: each is a folder beside this file
 * (docs/templates.md, "A new event type"). Every type of the wire format's enum, and
 * every type Herald derives (notification-type.ts), must be here once;
 * registry.spec.ts checks that each has all its parts.
 */
export const EVENT_TYPES: readonly EventTypeDefinition[] = [jobSucceeded, jobFailed, jobStopped, applicationCreated, versionCreated, jobRecovered, targetDisabled];

const byType = new Map(EVENT_TYPES.map((definition) => [definition.type, definition]));

// The types in GraphQL, under the name the API has always used, each described by its folder.
registerEnumType(NotificationType, {
  name: 'JobEventType',
  description: 'The kinds of events Herald mails about',
  valuesMap: Object.fromEntries(EVENT_TYPES.map((definition) => [definition.type, { description: definition.description }])),
});

/** The definition of a type; an enum value without a registration is a programming error. */
export function eventTypeOf(type: NotificationType): EventTypeDefinition {
  const definition = byType.get(type);
  if (!definition) throw new Error(`Event type ${type} has no registration in src/event-types/registry.ts`);
  return definition;
}

/** Every kind of mail, by its definition, in NotificationType's order (start-up fails on a missing one). */
export function allEventTypes(): EventTypeDefinition[] {
  return NOTIFICATION_TYPES.map(eventTypeOf);
}

/**
 * The fields event types add to `publishJobEvent`'s input, each with the types that carry it
 * (its description). Types that share a field name share its input class.
 */
export function eventInputFields(): Map<string, InputField & { types: NotificationType[] }> {
  const fields = new Map<string, InputField & { types: NotificationType[] }>();
  for (const definition of allEventTypes().filter((d) => !d.derivedFrom)) {
    for (const [name, field] of Object.entries(definition.input)) {
      const seen = fields.get(name);
      if (!seen) fields.set(name, { ...field, types: [definition.type] });
      else if (seen.type() !== field.type()) throw new Error(`Event types ${seen.types[0]} and ${definition.type} give the input field ${name} different types`);
      else seen.types.push(definition.type);
    }
  }
  return fields;
}
