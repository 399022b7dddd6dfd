import { basename, join } from 'node:path';
import type { JobEvent, JobEventType } from '@herald/contracts';
import type { JobHistoryNote, NotificationType } from './notification-type';

/** A field an event type adds to `publishJobEvent`'s input, as @nestjs/graphql's `@Field` takes its type. */
export interface InputField {
  /** A class, or `[Class]` for a list. */
  type: () => Function | [Function];
}

/**
 * One of the type's messages (`<type>.<language>.json` in its folder) as plain text,
 * in the language of the mail being written. Every message may use `application`
 * (its name), `kind` and `kindTitle` (the job's kind, "analysis" and "Analysis")
 * and `duration` (how long the job took, as the recipient reads it); `values`
 * add the message's own.
 */
export type Translate = (key: string, values?: Record<string, string | number | undefined>) => string;

/**
 * What the mail of one event says, beyond what every mail has (the application,
 * the job, when, the links: MailRenderer adds those). A pure function of the event
 * and the language: the same event gives the same view, so a mail is rendered once
 * per event, language and time zone.
 */
export interface EventView {
  /** Without the "[Application]" prefix, e.g. "Analysis failed: Run analyzer". */
  subject: string;
  /** The mail's title, without the ": Application" suffix. */
  heading: string;
  /** The accent colour (top border, button); the layout's blue when absent. */
  color?: string;
  /** What this type's templates show besides the common fields, e.g. `{ error }`. */
  details?: Record<string, unknown>;
}

/**
 * Everything Herald knows about one event type, from its folder
 * (src/event-types/<type>/<type>.type.ts beside <type>.html.hbs and <type>.text.hbs),
 * listed once in registry.ts. The wire class stays in libs/contracts, which producers
 * install: the folder names it, and registry.spec.ts checks it is the one the parser uses.
 */
export interface EventTypeDefinition<E extends JobEvent = JobEvent> {
  type: NotificationType;
  /** For a type Herald derives (notification-type.ts): the wire type its events are published as. */
  derivedFrom?: JobEventType;
  /** The class of libs/contracts that validates this type on the wire (that of `derivedFrom` for a derived type). */
  wire: new () => E;
  /** What the type means, in GraphQL (the description of its value of `JobEventType`). */
  description: string;
  /** What the type is called in the preferences (GraphQL `label`). */
  label: string;
  /** Whether people get it unless they switch it off. */
  enabledByDefault: boolean;
  /** The fields of `publishJobEvent`'s input this type carries besides the common ones (none: `{}`). */
  input: Record<string, InputField>;
  /**
   * What the view's `details` (and the history, for a type that shows it) give the
   * templates, path → description (`'error.step': 'The step that failed'`): what
   * admins' templates may use besides the common variables (mailTemplateVariables;
   * template-variables.spec.ts fails on one given but not described, or described but never given).
   */
  variables?: Record<string, string>;
  /** The folder holding `<folder>.html.hbs` and `<folder>.text.hbs`. */
  folder: string;
  /**
   * The subject, heading and details in the mail's language (`t`); `history` is what
   * Herald knows of the job's earlier outcomes (still failing, fixed).
   * Method syntax: a definition for one event class stands in the registry's list of all.
   */
  view(event: E & { history?: JobHistoryNote }, t: Translate): EventView;
}

/** A type's definition; `folder` is the calling file's `__dirname`. */
export function defineEventType<E extends JobEvent>(folder: string, definition: Omit<EventTypeDefinition<E>, 'folder'>): EventTypeDefinition<E> {
  return { ...definition, folder };
}

/** The template of a type, e.g. `job-failed/job-failed.html.hbs`. */
export function templateFile(definition: EventTypeDefinition, part: 'html' | 'text'): string {
  return join(definition.folder, `${basename(definition.folder)}.${part}.hbs`);
}

/** The messages of a type in one language, e.g. `job-failed/job-failed.fr.json`. */
export function messagesFile(definition: EventTypeDefinition, language: string): string {
  return join(definition.folder, `${basename(definition.folder)}.${language}.json`);
}

/** "analysis" → "Analysis", for subjects that start with a job's kind. */
export const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** 1 → "1st", 2 → "2nd", 3 → "3rd", 11 → "11th", 22 → "22nd". */
export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
