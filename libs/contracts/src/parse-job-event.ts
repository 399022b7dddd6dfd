import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { compiledJobEvent } from './compiled-job-event';
import { JOB_EVENT_CLASSES, type JobEvent, type JobEventBase, LOG_EXCERPT_MAX_LENGTH } from './job-event';
import { JOB_EVENT_TYPES, JobEventType } from './job-event-type';
import { isMultiLineText, TEXT_MESSAGES } from './text-rules';

export interface EventProblem {
  /** Path of the field in the event, e.g. `job.endedAt`. */
  field: string;
  message: string;
}

/** A field Herald shortened rather than refused, and how many characters it cut. */
export interface ShortenedField {
  field: string;
  cut: number;
}

export type ParsedJobEvent = { ok: true; event: JobEvent; shortened: ShortenedField[] } | { ok: false; problems: EventProblem[] };

/** The first line of a shortened log excerpt: `… 34488 characters cut`, then a line break. */
export const LOG_CUT_MARKER = /^… (\d+) characters cut\n/;

/**
 * The end of a log excerpt, at most `max` characters: a marker line saying how
 * many characters were cut from its start (`… 34488 characters cut`), then as
 * much of the end as fits beside it. A surrogate pair is never split. A log's end
 * is where a failure shows, and a failure must be heard of: a log too long is
 * shortened, never a reason to refuse the event.
 */
export function shortenLogExcerpt(excerpt: string, max = LOG_EXCERPT_MAX_LENGTH): string {
  if (excerpt.length <= max) return excerpt;
  // Room for the marker with as many digits as the whole length has: the count cut has no more.
  let keep = max - `… ${excerpt.length} characters cut\n`.length;
  const first = excerpt.charCodeAt(excerpt.length - keep);
  if (first >= 0xdc00 && first <= 0xdfff) keep--; // the second half of a pair: drop it with its first
  return `… ${excerpt.length - keep} characters cut\n${excerpt.slice(excerpt.length - keep)}`;
}

/**
 * The payload with an over-long `error.logExcerpt` shortened (a copy: the
 * producer's object is left as it was), and what was cut.
 */
function shortened(payload: object): { payload: object; cut?: ShortenedField & { original: string } } {
  const error = (payload as { error?: unknown }).error;
  if ((payload as { type?: unknown }).type !== JobEventType.JOB_FAILED || error === null || typeof error !== 'object') return { payload };
  const original = (error as { logExcerpt?: unknown }).logExcerpt;
  if (typeof original !== 'string' || original.length <= LOG_EXCERPT_MAX_LENGTH) return { payload };
  const logExcerpt = shortenLogExcerpt(original);
  return {
    payload: { ...payload, error: { ...error, logExcerpt } },
    cut: { field: 'error.logExcerpt', cut: Number(LOG_CUT_MARKER.exec(logExcerpt)![1]), original },
  };
}

const TYPE_CONSTRAINTS = ['isDefined', 'isString', 'isEnum', 'isIn', 'isIso8601', 'isArray', 'isObject'];

/**
 * A field of the wrong type is named once, with that; what is inside it is not
 * looked into (the items of a list where one object belongs are not its fields).
 */
function problemsOf(errors: ValidationError[], prefix = ''): EventProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const first = TYPE_CONSTRAINTS.find((c) => c in constraints);
    const messages = first ? [constraints[first]] : Object.values(constraints);
    const own = messages.map((m) => ({ field, message: m.startsWith(`${error.property} `) ? m.slice(error.property.length + 1) : m }));
    return first ? own : [...own, ...problemsOf(error.children ?? [], field)];
  });
}

/**
 * Validates a job event in the wire format (a parsed JSON object) and returns it
 * as its class, or every problem with the field it is about. Unknown fields are
 * an error too: a typo must not pass silently. A log excerpt over its limit is
 * the one thing made to fit rather than refused: shortened to its end
 * (shortenLogExcerpt), and named in `shortened`.
 */
export function parseJobEvent(payload: unknown): ParsedJobEvent {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, problems: [{ field: '(event)', message: 'must be a JSON object' }] };
  }
  const type = (payload as { type?: unknown }).type;
  if (typeof type !== 'string' || !JOB_EVENT_TYPES.includes(type as JobEventType)) {
    return { ok: false, problems: [{ field: 'type', message: `must be one of ${JOB_EVENT_TYPES.join(', ')}` }] };
  }
  const { payload: fitted, cut } = shortened(payload);
  // Nearly every event plainly follows the rules: checked in one pass (compiled-job-event.ts).
  // Any other goes through class-transformer and class-validator, which name its problems.
  const compiled = compiledJobEvent(type as JobEventType, fitted);
  const event = compiled ?? (plainToInstance<JobEventBase, object>(JOB_EVENT_CLASSES[type as JobEventType], fitted) as JobEvent);
  const problems = compiled ? [] : problemsOf(validateSync(event, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
  // What cannot be made safe is refused as before, wherever it is in the excerpt (the part cut too).
  if (cut && !isMultiLineText(cut.original) && !problems.some((p) => p.field === cut.field)) problems.push({ field: cut.field, message: TEXT_MESSAGES.controlMultiLine });
  if (problems.length) return { ok: false, problems };
  // Fields a version added are not part of the versions before it.
  if (event.schemaVersion < 2 && 'managers' in event && event.managers !== undefined) {
    return { ok: false, problems: [{ field: 'managers', message: 'needs schemaVersion 2' }] };
  }
  return { ok: true, event, shortened: cut ? [{ field: cut.field, cut: cut.cut }] : [] };
}
