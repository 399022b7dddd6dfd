import { maxLength } from 'class-validator';
import { isEmailAddress, MAX_ADDRESS } from './address-rules';
import {
  ApplicationCreatedEvent,
  ApplicationRef,
  JOB_EVENT_SCHEMA_VERSIONS,
  type JobEvent,
  JobError,
  JobFailedEvent,
  JobRef,
  JobStoppedEvent,
  JobSucceededEvent,
  LOG_EXCERPT_MAX_LENGTH,
  MANAGERS_MAX,
  ManagerRef,
  PersonRef,
  VersionCreatedEvent,
  VersionRef,
} from './job-event';
import { JobEventType } from './job-event-type';
import { fitsLength, isIdentifierText, isMultiLineText, isSingleLineText } from './text-rules';
import { isIsoTime } from './time-rules';

/**
 * The wire format's rules (job-event.ts) compiled into plain checks, for the events
 * that follow them — nearly all: one pass over the payload, no metadata looked up,
 * no error objects built. It only ever *accepts*: anything it is not sure of (a
 * problem, null where a value is required, an unknown or inherited key, a value of
 * another prototype than a JSON object's) answers undefined, and parseJobEvent then
 * runs class-transformer and class-validator as before, which name every problem.
 * What it accepts, they accept, and it builds the same object they do (each class
 * constructed, then the payload's keys assigned in their order, nested parts as their
 * classes): compiled-job-event.spec.ts holds both to that, and to the same fields.
 *
 * Each check calls the function behind the decorator it stands for (text-rules'
 * fitsLength, which counts code points, and its other checks; time-rules' isIsoTime;
 * address-rules'), so a rule changed there changes here. A field added to a class in
 * job-event.ts must be added here too: the spec fails until it is. A new type is
 * validated by class-validator alone until its shape is added to JOB_EVENT_SHAPES.
 */

type Check = (value: unknown) => boolean;

interface Field {
  /** IsOptional: null and undefined skip every other rule (and are kept as they are). */
  optional?: boolean;
  /** A value's rules (a string field, a number, …). */
  check?: Check;
  /** ValidateNested + Type: a nested object of this shape. */
  nested?: Shape;
  /** IsArray + ArrayMaxSize + ValidateNested({ each }) + Type: a list of at most `max` objects of this shape. */
  each?: { shape: Shape; max: number };
}

export interface Shape {
  type: new () => object;
  fields: Record<string, Field>;
}

const isText = (value: unknown, max: number, allowEmpty: boolean): value is string =>
  typeof value === 'string' && (allowEmpty || value !== '') && fitsLength(value, max);
/** Identifier(): IsString, IsNotEmpty, MaxLength, no white space, control or bidirectional control. */
const identifier = (max: number): Check => (v) => isText(v, max, false) && isIdentifierText(v);
/** SingleLineText(). */
const line = (max: number, allowEmpty = false): Check => (v) => isText(v, max, allowEmpty) && isSingleLineText(v);
/** MultiLineText(). */
const lines = (max: number, allowEmpty = false): Check => (v) => isText(v, max, allowEmpty) && isMultiLineText(v);
/** IsoTime(): IsISO8601({ strict: true }), readable by Date. */
const iso8601: Check = isIsoTime;
/** EmailAddress(): IsString, MaxLength, one bare address. */
const email: Check = (v) => typeof v === 'string' && maxLength(v, MAX_ADDRESS) && isEmailAddress(v);

const APPLICATION: Shape = { type: ApplicationRef, fields: { id: { check: identifier(255) }, name: { check: line(255) } } };
const JOB: Shape = {
  type: JobRef,
  fields: { id: { check: identifier(255) }, kind: { check: line(64) }, startedAt: { optional: true, check: iso8601 }, endedAt: { optional: true, check: iso8601 } },
};
const ERROR: Shape = {
  type: JobError,
  fields: {
    message: { check: lines(10_000) },
    step: { optional: true, check: line(255, true) },
    logExcerpt: { optional: true, check: lines(LOG_EXCERPT_MAX_LENGTH, true) },
  },
};
const PERSON: Shape = { type: PersonRef, fields: { id: { check: identifier(255) }, name: { optional: true, check: line(255, true) } } };
const MANAGER: Shape = {
  type: ManagerRef,
  fields: { id: { check: identifier(255) }, name: { optional: true, check: line(255, true) }, email: { optional: true, check: email } },
};
const VERSION: Shape = { type: VersionRef, fields: { name: { check: line(255) }, id: { optional: true, check: identifier(255) } } };

const TYPES: readonly unknown[] = Object.values(JobEventType);
const BASE: Record<string, Field> = {
  schemaVersion: { check: (v) => (JOB_EVENT_SCHEMA_VERSIONS as readonly unknown[]).includes(v) },
  id: { check: identifier(128) },
  type: { check: (v) => TYPES.includes(v) },
  occurredAt: { check: iso8601 },
  application: { nested: APPLICATION },
};

/**
 * Each type's shape, as its class in JOB_EVENT_CLASSES declares it. A type without
 * one (a new type not added here yet) is validated by class-validator alone.
 */
export const JOB_EVENT_SHAPES: Partial<Record<JobEventType, Shape>> = {
  JOB_SUCCEEDED: { type: JobSucceededEvent, fields: { ...BASE, job: { nested: JOB } } },
  JOB_FAILED: { type: JobFailedEvent, fields: { ...BASE, job: { nested: JOB }, error: { nested: ERROR } } },
  JOB_STOPPED: { type: JobStoppedEvent, fields: { ...BASE, job: { nested: JOB }, stoppedBy: { nested: PERSON } } },
  APPLICATION_CREATED: {
    type: ApplicationCreatedEvent,
    fields: { ...BASE, createdBy: { optional: true, nested: PERSON }, managers: { optional: true, each: { shape: MANAGER, max: MANAGERS_MAX } } },
  },
  VERSION_CREATED: { type: VersionCreatedEvent, fields: { ...BASE, version: { nested: VERSION }, createdBy: { optional: true, nested: PERSON } } },
};

/** A JSON object (what JSON.parse and the GraphQL layer make), nothing else. */
const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/** `value` as an instance of the shape's class, or undefined if any rule is not plainly met. */
function build(shape: Shape, value: unknown): object | undefined {
  if (!isJsonObject(value)) return undefined;
  const built = new shape.type() as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(shape.fields, key)) return undefined; // forbidNonWhitelisted
    const field = shape.fields[key];
    const v = value[key];
    if (v === null || v === undefined) {
      if (!field.optional) return undefined;
      built[key] = v;
    } else if (field.nested) {
      const nested = build(field.nested, v);
      if (!nested) return undefined;
      built[key] = nested;
    } else if (field.each) {
      if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype || v.length > field.each.max) return undefined;
      const list: object[] = [];
      for (let i = 0; i < v.length; i++) {
        const item = i in v ? build(field.each.shape, v[i]) : undefined;
        if (!item) return undefined;
        list.push(item);
      }
      built[key] = list;
    } else {
      if (!field.check!(v)) return undefined;
      built[key] = v;
    }
  }
  // Every required field has a value (IsDefined, IsString: null and undefined fail them).
  for (const key of requiredKeys(shape)) if (value[key] === undefined || value[key] === null) return undefined;
  return built;
}

const required = new WeakMap<Shape, string[]>();
function requiredKeys(shape: Shape): string[] {
  let keys = required.get(shape);
  if (!keys) required.set(shape, (keys = Object.keys(shape.fields).filter((key) => !shape.fields[key].optional)));
  return keys;
}

/**
 * The event as its class, when it plainly follows every rule of its type (`type`
 * already known to be one of the catalogue); undefined otherwise — not a verdict:
 * class-validator then decides, and names the problems.
 */
export function compiledJobEvent(type: JobEventType, payload: unknown): JobEvent | undefined {
  const shape = JOB_EVENT_SHAPES[type];
  return shape && (build(shape, payload) as JobEvent | undefined);
}
