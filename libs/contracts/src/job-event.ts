import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsEnum, IsIn, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { EmailAddress } from './address-rules';
import { JobEventType } from './job-event-type';
import { Identifier, MultiLineText, SingleLineText } from './text-rules';
import { IsoTime } from './time-rules';

/**
 * The version of the wire format described here (docs/wire-format.md). Version 2
 * adds `managers` to APPLICATION_CREATED; version 1 events are still accepted.
 */
export const JOB_EVENT_SCHEMA_VERSION = 2;

/** Every version Herald reads. */
export const JOB_EVENT_SCHEMA_VERSIONS = [1, 2] as const;

/** The in-process channel (@nestjs/event-emitter) that Herald ingests from. */
export const JOB_EVENT_CHANNEL = 'herald.job-event';

// A part that is one object (application, job, error, …) is checked to be one with
// IsObject: ValidateNested alone takes a list in its place and validates each item,
// so `application: [a, b]` (or `[]`) would pass, an event with no one application.

// Text rules (text-rules.ts): ids have no white space, single-line text no line
// breaks, and no text any control character but the tab and line breaks of
// multi-line text (an error message, a log excerpt).

export class ApplicationRef {
  /** The console's id of the application. */
  @Identifier({ maxLength: 255 })
  id: string;

  @SingleLineText({ maxLength: 255 })
  name: string;
}

export class JobRef {
  @Identifier({ maxLength: 255 })
  id: string;

  /** What kind of job: analysis, snapshot, … (free text, shown in mails). */
  @SingleLineText({ maxLength: 64 })
  kind: string;

  @IsOptional() @IsoTime()
  startedAt?: string;

  @IsOptional() @IsoTime()
  endedAt?: string;
}

/** The most characters of `error.logExcerpt` kept; a longer one is shortened to its end (shortenLogExcerpt). */
export const LOG_EXCERPT_MAX_LENGTH = 65_536;

/** The most managers an APPLICATION_CREATED names (docs/wire-format.md: about 1 MB of JSON at 10,000). */
export const MANAGERS_MAX = 10_000;

export class JobError {
  @MultiLineText({ maxLength: 10_000 })
  message: string;

  /** The step that failed, e.g. "Run analyzer". */
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  step?: string;

  /** The last lines of the job's log; parseJobEvent shortens a longer one to its end. */
  @IsOptional() @MultiLineText({ maxLength: LOG_EXCERPT_MAX_LENGTH, allowEmpty: true })
  logExcerpt?: string;
}

export class PersonRef {
  @Identifier({ maxLength: 255 })
  id: string;

  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  name?: string;
}

/** A person who manages an application from its creation (APPLICATION_CREATED, version 2). */
export class ManagerRef {
  @Identifier({ maxLength: 255 })
  id: string;

  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  name?: string;

  @IsOptional() @EmailAddress()
  email?: string;
}

export class VersionRef {
  @SingleLineText({ maxLength: 255 })
  name: string;

  @IsOptional() @Identifier({ maxLength: 255 })
  id?: string;
}

/** What every event carries. */
export abstract class JobEventBase {
  @IsIn(JOB_EVENT_SCHEMA_VERSIONS, { message: `must be one of ${JOB_EVENT_SCHEMA_VERSIONS.join(', ')}` })
  schemaVersion: number;

  /** Unique per event: an event seen twice is recorded once. */
  @Identifier({ maxLength: 128 })
  id: string;

  @IsEnum(JobEventType)
  type: JobEventType;

  /** When it happened, ISO-8601 with a time zone. */
  @IsoTime()
  occurredAt: string;

  @IsDefined() @IsObject() @ValidateNested() @Type(() => ApplicationRef)
  application: ApplicationRef;
}

export class JobSucceededEvent extends JobEventBase {
  declare type: JobEventType.JOB_SUCCEEDED;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => JobRef) job: JobRef;
}

export class JobFailedEvent extends JobEventBase {
  declare type: JobEventType.JOB_FAILED;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => JobRef) job: JobRef;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => JobError) error: JobError;
}

export class JobStoppedEvent extends JobEventBase {
  declare type: JobEventType.JOB_STOPPED;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => JobRef) job: JobRef;
  /** Who stopped it. */
  @IsDefined() @IsObject() @ValidateNested() @Type(() => PersonRef) stoppedBy: PersonRef;
}

export class ApplicationCreatedEvent extends JobEventBase {
  declare type: JobEventType.APPLICATION_CREATED;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PersonRef) createdBy?: PersonRef;

  /** Version 2: the application's initial managers, recorded (MANAGE) before anyone is mailed. */
  @IsOptional() @IsArray() @ArrayMaxSize(MANAGERS_MAX) @IsObject({ each: true, message: 'each manager must be an object' }) @ValidateNested({ each: true }) @Type(() => ManagerRef) managers?: ManagerRef[];
}

export class VersionCreatedEvent extends JobEventBase {
  declare type: JobEventType.VERSION_CREATED;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => VersionRef) version: VersionRef;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PersonRef) createdBy?: PersonRef;
}

/** The class that validates each type: one entry per type of the catalogue. */
export const JOB_EVENT_CLASSES = {
  JOB_SUCCEEDED: JobSucceededEvent,
  JOB_FAILED: JobFailedEvent,
  JOB_STOPPED: JobStoppedEvent,
  APPLICATION_CREATED: ApplicationCreatedEvent,
  VERSION_CREATED: VersionCreatedEvent,
} satisfies Record<JobEventType, new () => JobEventBase>;

/** Any event of the catalogue, told apart by `type`. */
export type JobEvent = InstanceType<(typeof JOB_EVENT_CLASSES)[JobEventType]>;
