import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { compiledJobEvent, JOB_EVENT_SHAPES, type Shape } from './compiled-job-event';
import { JOB_EVENT_CLASSES, type JobEventBase, LOG_EXCERPT_MAX_LENGTH } from './job-event';
import { JobEventType } from './job-event-type';
import { parseJobEvent } from './parse-job-event';

const base = { schemaVersion: 2, id: 'evt-1', occurredAt: '2026-11-24T10:00:00Z', application: { id: 'app-1', name: 'Billing' } };
const job = { id: 'job-7', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T10:00:00+02:00' };
const VALID: Partial<Record<JobEventType, object>> = {
  JOB_SUCCEEDED: { ...base, type: 'JOB_SUCCEEDED', job },
  JOB_FAILED: { ...base, type: 'JOB_FAILED', job, error: { message: 'boom\n\tat x', step: 'Run analyzer', logExcerpt: 'INFO start\n'.repeat(40) } },
  JOB_STOPPED: { ...base, type: 'JOB_STOPPED', job, stoppedBy: { id: 'bob', name: 'Bob' } },
  APPLICATION_CREATED: { ...base, type: 'APPLICATION_CREATED', createdBy: { id: 'ann' }, managers: [{ id: 'ann', name: 'Ann', email: 'ann@example.com' }, { id: 'bob' }] },
  VERSION_CREATED: { ...base, type: 'VERSION_CREATED', version: { name: 'v2.1', id: 'v21' }, createdBy: { id: 'ann', name: '' } },
};

/** What parseJobEvent did before the compiled checks: class-transformer, then class-validator. */
function classValidator(type: JobEventType, payload: object) {
  const event = plainToInstance<JobEventBase, object>(JOB_EVENT_CLASSES[type], payload);
  return { event, errors: validateSync(event, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }) };
}

/** The same object: the same classes, the same own keys in the same order, the same values. */
function same(a: unknown, b: unknown, path = '(event)'): void {
  if (a === null || typeof a !== 'object') return expect({ path, value: a }).toEqual({ path, value: b });
  expect({ path, prototype: Object.getPrototypeOf(a) }).toEqual({ path, prototype: Object.getPrototypeOf(b as object) });
  expect({ path, keys: Reflect.ownKeys(a) }).toEqual({ path, keys: Reflect.ownKeys(b as object) });
  for (const key of Reflect.ownKeys(a)) same((a as Record<PropertyKey, unknown>)[key], (b as Record<PropertyKey, unknown>)[key], `${path}.${String(key)}`);
}

/** Every path to a value of a payload (nested objects and list items included). */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.keys(value).flatMap((key) => paths((value as Record<string, unknown>)[key], [...prefix, key]))].filter((p) => p.length);
}

function replaced(payload: object, path: string[], value: unknown, remove = false): object {
  const copy = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>; // JSON objects of this realm (structuredClone's are of another under Jest)
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (remove) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy;
}

// Values that break one rule or another, or stand at a limit.
const CANDIDATES: unknown[] = [
  null, '', ' ', 'a b', 'x\n', 'x\r\ny', 'x\u2028', 'a\u202eb', 'a\u0007b', 'a\u0085b', 'a\tb', 'ok', 1, 2, 3, true, {}, [], [{ id: 'x' }], [null],
  'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(255), 'x'.repeat(256), '\u{1F600}'.repeat(128), '\u{1F600}'.repeat(129),
  '2026-11-24', '2026-11-24T10:00:00Z', '2026-13-01T00:00:00Z', 'yesterday', 'ann@example.com', 'Ann <ann@example.com>', 'nope', 'JOB_FAILED', 'COFFEE',
  'x'.repeat(10_001), 'a\u0000b',
];

/** The types with a shape (a type added later is validated by class-validator alone until it has one). */
const COMPILED = Object.keys(JOB_EVENT_SHAPES) as JobEventType[];
const valid = (type: JobEventType) => VALID[type] ?? fail(`no valid ${type} event in this spec: add one`);
function fail(message: string): never {
  throw new Error(message);
}

describe('compiledJobEvent', () => {
  it('has a shape for every type Herald shipped with it', () => {
    expect(COMPILED.sort()).toEqual(['APPLICATION_CREATED', 'JOB_FAILED', 'JOB_STOPPED', 'JOB_SUCCEEDED', 'VERSION_CREATED']);
  });

  it('has the fields of every class of the wire format, optional where the class says so (a field added to job-event.ts must be added there)', () => {
    const storage = getMetadataStorage();
    const check = (shape: Shape) => {
      const metadata = storage.getTargetValidationMetadatas(shape.type, '', true, false);
      const declared = [...new Set(metadata.map((m) => m.propertyName))].sort();
      expect({ type: shape.type.name, fields: Object.keys(shape.fields).sort() }).toEqual({ type: shape.type.name, fields: declared });
      for (const [key, field] of Object.entries(shape.fields)) {
        const optional = metadata.some((m) => m.propertyName === key && m.type === 'conditionalValidation');
        expect({ field: `${shape.type.name}.${key}`, optional: !!field.optional }).toEqual({ field: `${shape.type.name}.${key}`, optional });
        if (field.nested) check(field.nested);
        if (field.each) check(field.each.shape);
      }
    };
    for (const type of COMPILED) {
      expect(JOB_EVENT_SHAPES[type]!.type).toBe(JOB_EVENT_CLASSES[type]);
      check(JOB_EVENT_SHAPES[type]!);
    }
  });

  it('accepts the valid events of every type, building the very object class-transformer builds', () => {
    for (const type of COMPILED) {
      const compiled = compiledJobEvent(type, valid(type));
      const slow = classValidator(type, valid(type));
      expect(slow.errors).toEqual([]);
      expect(compiled).toBeDefined();
      same(compiled, slow.event);
      expect(parseJobEvent(valid(type))).toEqual({ ok: true, event: compiled, shortened: [] });
    }
  });

  it('accepts nothing that class-validator refuses, and builds what class-transformer builds, for every field set to values at and past each limit, or missing, or joined by another', () => {
    let checked = 0;
    let accepted = 0;
    for (const type of COMPILED) {
      const variants: object[] = [];
      for (const path of paths(valid(type))) {
        variants.push(replaced(valid(type), path, undefined, true));
        for (const value of CANDIDATES) variants.push(replaced(valid(type), path, value));
        variants.push(replaced(valid(type), [...path.slice(0, -1), 'colour'], 'red'));
      }
      variants.push(JSON.parse(JSON.stringify(valid(type)).replace('{', '{"__proto__":{"x":1},')) as object);
      variants.push({ ...valid(type), error: { message: 'x', logExcerpt: 'y'.repeat(LOG_EXCERPT_MAX_LENGTH) } });
      for (const payload of variants) {
        const compiled = compiledJobEvent(type, payload);
        checked++;
        if (!compiled) continue;
        accepted++;
        const slow = classValidator(type, payload);
        expect({ payload, errors: slow.errors.map((e) => e.property) }).toEqual({ payload, errors: [] });
        same(compiled, slow.event);
      }
    }
    // Both ways were exercised: many variants accepted, many left to class-validator.
    expect(accepted).toBeGreaterThan(100);
    expect(checked - accepted).toBeGreaterThan(1000);
  });

  it('leaves what is not a JSON object to class-validator', () => {
    class Other {
      constructor(readonly id = 'x') {}
    }
    expect(compiledJobEvent(JobEventType.JOB_FAILED, Object.assign(new Other(), valid(JobEventType.JOB_FAILED)))).toBeUndefined();
    expect(compiledJobEvent(JobEventType.JOB_FAILED, { ...valid(JobEventType.JOB_FAILED), job: Object.assign(Object.create(null), job) })).toBeUndefined();
  });
});
