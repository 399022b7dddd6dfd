import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EventTypeDefinition } from '../../event-types/event-type';
import type { NotificationType, NotifiedEvent } from '../../event-types/notification-type';
import { allEventTypes, eventTypeOf } from '../../event-types/registry';
import type { TemplatePart, TemplateRules } from './template-rules';

/** A variable a template may use: its path (`job.kind`) and what it holds. */
export interface VariableDescription {
  name: string;
  description: string;
  /** HTML already escaped (names isolated): written `{{{name}}}` in the HTML part, the one unescaped output allowed there. */
  html?: boolean;
}

/**
 * What every mail's templates are given, the layout's included (MailRenderer.contextOf
 * builds it; template-variables.spec.ts compares the two, so neither drifts).
 */
const COMMON: readonly VariableDescription[] = [
  { name: 'subject', description: 'The subject as Herald writes it: "[Application] " and what the type says ("[Billing] Analysis failed: Run analyzer")' },
  { name: 'summary', description: "What the type's subject says, without the application (\"Analysis failed: Run analyzer\")" },
  { name: 'heading', description: 'The mail\'s heading, in the reader\'s language ("Analysis failed: Billing")' },
  { name: 'headingHtml', description: 'The heading for the HTML part: escaped, the names from the event isolated in <bdi>. Written {{{headingHtml}}}', html: true },
  { name: 'lang', description: "The mail's locale (BCP 47: en, fr-CA), for <html lang>" },
  { name: 'color', description: "The type's colour (#rrggbb): red for a failure, amber for a stop, green for a success, blue otherwise" },
  { name: 'application', description: 'The application the event is about' },
  { name: 'application.id', description: "The application's id in the console" },
  { name: 'application.name', description: "The application's name" },
  { name: 'occurredAt', description: "When the event happened, in the reader's language and time zone (\"Nov 24, 2026, 9:42 AM UTC\")" },
  { name: 'link', description: "The console's page of the job (of the application, for an event without a job)" },
  { name: 'linkLabel', description: 'The words of the link to the console, in the reader\'s language ("Open the analysis in the console")' },
  {
    name: 'preferencesLink',
    description:
      "The reader's own link to their notification preferences and one-click unsubscribe. Every mail must show it, unconditionally, in both parts (in the HTML part as an <a href>); write it as it is",
  },
  { name: 'labels', description: "The labels of the HTML part's table, in the reader's language" },
  { name: 'textLabels', description: "The labels of the text part's lines, in the reader's language" },
  ...(['application', 'job', 'started', 'ended', 'took', 'when'] as const).flatMap((key) => {
    const label = key.charAt(0).toUpperCase() + key.slice(1); // as English says it
    return [
      { name: `labels.${key}`, description: `The label "${label}" in the reader's language (the HTML part's table)` },
      { name: `textLabels.${key}`, description: `The same label with its colon, padded to line up the text part's lines ("${label}:")` },
    ];
  }),
  { name: 'branding', description: 'What updateMailBranding set (each part absent until set)' },
  { name: 'branding.productName', description: 'The product name' },
  { name: 'branding.logoUrl', description: "The logo's address for <img src>: the https URL set, or cid:logo@herald for the image Herald keeps and attaches" },
  { name: 'branding.accentColor', description: 'The accent colour (#rrggbb)' },
  { name: 'branding.footer', description: 'The footer line (plain text)' },
  { name: 'branding.helpLink', description: 'Where readers get help (https or mailto)' },
];

/** What a type's events with a job add (the layout may use them too: absent for an event without a job). */
const JOB: readonly VariableDescription[] = [
  { name: 'job', description: 'The job the event is about (absent for an event without a job)' },
  { name: 'job.id', description: "The job's id in the console" },
  { name: 'job.kind', description: 'What kind of job: analysis, snapshot, …' },
  { name: 'job.startedAt', description: "When it started, in the reader's language and time zone (absent when the event does not say)" },
  { name: 'job.endedAt', description: "When it ended, in the reader's language and time zone (absent when the event does not say)" },
  { name: 'job.duration', description: 'How long it took, in the reader\'s language ("1 hr, 2 min"; absent without both times)' },
];

/** Given to templates for Herald's own use (the `t` helper's shared values): not theirs to read. */
export const INTERNAL_VARIABLES: ReadonlySet<string> = new Set(['values']);

/** Whether a type's events carry a job (its example's do). */
function hasJob(definition: EventTypeDefinition): boolean {
  return 'job' in (exampleEventsOf(definition.type)[0] as object);
}

/**
 * Every variable a template of this type may use (the layout: those of every type,
 * the job's being absent for events without one), in order: common, the job's, the type's own.
 */
export function variablesOf(name: NotificationType | 'layout'): VariableDescription[] {
  if (name === 'layout') return [...COMMON, ...JOB];
  const definition = eventTypeOf(name);
  const own = Object.entries(definition.variables ?? {}).map(([path, description]) => ({ name: path, description }));
  return [...COMMON, ...(hasJob(definition) ? JOB : []), ...own];
}

const examples = new Map<NotificationType, NotifiedEvent[]>();

/**
 * The events a type's templates are tried with (validation, variables' example
 * values, preview): its example (`<type>.example.json`), and, for a type whose
 * mails say what the job's history says, the same event with a history.
 */
export function exampleEventsOf(type: NotificationType): NotifiedEvent[] {
  let events = examples.get(type);
  if (!events) {
    const definition = eventTypeOf(type);
    const example = JSON.parse(readFileSync(join(definition.folder, `${basename(definition.folder)}.example.json`), 'utf8')) as NotifiedEvent;
    events = [example];
    const usesHistory = Object.keys(definition.variables ?? {}).some((v) => v.startsWith('history.'));
    if (usesHistory && !example.history) {
      const firstFailureAt = new Date(Date.parse(example.occurredAt) - 3 * 3_600_000).toISOString();
      events.push({ ...example, id: `${example.id}-history`, history: { failuresInRow: 3, firstFailureAt } });
    }
    examples.set(type, events);
  }
  return events;
}

/**
 * The paths of an object's values as templates reach them (`job.kind`), each
 * with its value; objects are listed too (`job`), with undefined values left out.
 */
export function flatten(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (value === null || value === undefined) return into;
  if (prefix) into.set(prefix, value);
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) flatten(child, prefix ? `${prefix}.${key}` : key, into);
  }
  return into;
}

/** The values every message is given (MailRenderer.context's `values`): a template's `t` need not pass them. */
export const COMMON_MESSAGE_VALUES: ReadonlySet<string> = new Set(['application', 'kind', 'kindTitle', 'duration']);

/**
 * The rules an admin's template of `name` is checked with (template-rules.ts):
 * its variables, and the messages `t` may write in its language — `messagesOf`
 * answers a type's with the shared ones; the layout has the shared ones alone.
 */
export function rulesOf(name: NotificationType | 'layout', part: TemplatePart, messagesOf: (type: NotificationType) => Readonly<Record<string, string>>): TemplateRules {
  const variables = variablesOf(name);
  let messages: Readonly<Record<string, string>>;
  if (name !== 'layout') messages = messagesOf(name);
  else {
    const all = allEventTypes().map((d) => messagesOf(d.type));
    // The shared messages: in every type's, the same (a type's own may not take a shared one's name).
    messages = Object.fromEntries(Object.entries(all[0]).filter(([key, text]) => all.every((m) => m[key] === text)));
  }
  return {
    part,
    layout: name === 'layout',
    variables: new Set(variables.map((v) => v.name)),
    htmlVariables: new Set(variables.filter((v) => v.html).map((v) => v.name)),
    messages,
    commonValues: COMMON_MESSAGE_VALUES,
  };
}
