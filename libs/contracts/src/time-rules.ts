import { isISO8601, ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * A time of the wire format (`occurredAt`, `job.startedAt`, `job.endedAt`): ISO 8601
 * (validator.js's strict check: a real date), in a form JavaScript's Date reads.
 * ISO 8601 also has week dates (`2026-W48-2`), ordinal dates (`2026-328`), the basic
 * format (`20261124T094230Z`) and decimal commas, which Date does not read: such a
 * time passed the check, then broke what reads it (the job history, the mail) — an
 * internal error, or an event accepted that could never be mailed.
 *
 * A time of day must say its zone (`Z`, `+02:00`, `-0130`): without one, Date reads it
 * in the zone the server happens to run in, so the same event would be stored, ordered
 * and mailed at different instants by different hosts. A date alone is midnight UTC.
 */
export function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value)) && !lacksZone(value);
}

/** A date and time of day with no zone designator after the time (`2026-11-24T09:42:30`). */
function lacksZone(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(value);
}

const INVALID = 'must be a valid ISO 8601 date string';
const NO_ZONE = 'must give its time zone (Z or ±hh:mm) after the time of day';

/** IsISO8601({ strict: true }), readable by Date, with a zone (isIsoTime): one rule, named for what is wrong. */
export function IsoTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    // The name of class-validator's IsISO8601: parseJobEvent reports it as the field's type.
    { name: 'isIso8601', validator: { validate: (v: unknown) => isIsoTime(v) } },
    {
      message: ({ property, value }: ValidationArguments) =>
        `${property} ${typeof value === 'string' && isISO8601(value, { strict: true }) && lacksZone(value) ? NO_ZONE : INVALID}`,
      ...options,
    },
  );
}
