import { isISO8601, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A time of the wire format (`occurredAt`, `job.startedAt`, `job.endedAt`): ISO 8601
 * (validator.js's strict check: a real date), in a form JavaScript's Date reads.
 * ISO 8601 also has week dates (`2026-W48-2`), ordinal dates (`2026-328`), the basic
 * format (`20261124T094230Z`) and decimal commas, which Date does not read: such a
 * time passed the check, then broke what reads it (the job history, the mail) — an
 * internal error, or an event accepted that could never be mailed.
 */
export function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value));
}

/** IsISO8601({ strict: true }), and readable by Date (isIsoTime): one rule, one message. */
export function IsoTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    // The name of class-validator's IsISO8601: parseJobEvent reports it as the field's type.
    { name: 'isIso8601', validator: { validate: (v: unknown) => isIsoTime(v) } },
    { message: '$property must be a valid ISO 8601 date string', ...options },
  );
}
