import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { JOB_EVENT_CLASSES, type JobEvent, type JobEventBase } from './job-event';
import { JOB_EVENT_TYPES, type JobEventType } from './job-event-type';

export interface EventProblem {
  /** Path of the field in the event, e.g. `job.endedAt`. */
  field: string;
  message: string;
}

export type ParsedJobEvent = { ok: true; event: JobEvent } | { ok: false; problems: EventProblem[] };

const TYPE_CONSTRAINTS = ['isDefined', 'isString', 'isEnum', 'isIn', 'isIso8601', 'isArray'];

function problemsOf(errors: ValidationError[], prefix = ''): EventProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const first = TYPE_CONSTRAINTS.find((c) => c in constraints);
    const messages = first ? [constraints[first]] : Object.values(constraints);
    const own = messages.map((m) => ({ field, message: m.startsWith(`${error.property} `) ? m.slice(error.property.length + 1) : m }));
    return [...own, ...problemsOf(error.children ?? [], field)];
  });
}

/**
 * Validates a job event in the wire format (a parsed JSON object) and returns it
 * as its class, or every problem with the field it is about. Unknown fields are
 * an error too: a typo must not pass silently.
 */
export function parseJobEvent(payload: unknown): ParsedJobEvent {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, problems: [{ field: '(event)', message: 'must be a JSON object' }] };
  }
  const type = (payload as { type?: unknown }).type;
  if (typeof type !== 'string' || !JOB_EVENT_TYPES.includes(type as JobEventType)) {
    return { ok: false, problems: [{ field: 'type', message: `must be one of ${JOB_EVENT_TYPES.join(', ')}` }] };
  }
  const event = plainToInstance<JobEventBase, object>(JOB_EVENT_CLASSES[type as JobEventType], payload) as JobEvent;
  const errors = validateSync(event, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length) return { ok: false, problems: problemsOf(errors) };
  // Fields a version added are not part of the versions before it.
  if (event.schemaVersion < 2 && 'managers' in event && event.managers !== undefined) {
    return { ok: false, problems: [{ field: 'managers', message: 'needs schemaVersion 2' }] };
  }
  return { ok: true, event };
}
