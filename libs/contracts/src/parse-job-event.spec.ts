import { JobEventType } from './job-event-type';
import { LOG_EXCERPT_MAX_LENGTH } from './job-event';
import { LOG_CUT_MARKER, parseJobEvent, shortenLogExcerpt } from './parse-job-event';

const base = { schemaVersion: 1, id: 'evt-1', occurredAt: '2026-11-24T10:00:00Z', application: { id: 'app-1', name: 'Billing' } };
const job = { id: 'job-7', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T10:00:00Z' };

describe('parseJobEvent', () => {
  it('accepts every type of the catalogue with what it needs', () => {
    const events = [
      { ...base, type: JobEventType.JOB_SUCCEEDED, job },
      { ...base, type: JobEventType.JOB_FAILED, job, error: { message: 'boom', step: 'Run analyzer', logExcerpt: 'line 1\nline 2' } },
      { ...base, type: JobEventType.JOB_STOPPED, job, stoppedBy: { id: 'bob', name: 'Bob' } },
      { ...base, type: JobEventType.APPLICATION_CREATED, createdBy: { id: 'ann' } },
      { ...base, type: JobEventType.VERSION_CREATED, version: { name: 'v2.1' } },
    ];
    for (const e of events) expect(parseJobEvent(e)).toMatchObject({ ok: true, event: { type: e.type, id: 'evt-1' } });
  });

  it('reads the managers of APPLICATION_CREATED from version 2 only, each checked', () => {
    const created = { ...base, type: JobEventType.APPLICATION_CREATED, managers: [{ id: 'ann', name: 'Ann', email: 'ann@example.com' }, { id: 'bob' }] };
    expect(parseJobEvent({ ...created, schemaVersion: 2 })).toMatchObject({ ok: true, event: { managers: [{ id: 'ann', email: 'ann@example.com' }, { id: 'bob' }] } });
    expect(parseJobEvent({ ...created, schemaVersion: 1 })).toEqual({ ok: false, problems: [{ field: 'managers', message: 'needs schemaVersion 2' }] });
    expect(parseJobEvent({ ...created, schemaVersion: 2, managers: [{ id: 'a b', email: 'nope' }] })).toEqual({
      ok: false,
      problems: [
        { field: 'managers.0.id', message: 'must not contain white space' },
        { field: 'managers.0.email', message: 'must be an email address' },
      ],
    });
  });

  it('names every bad field, nested ones by their path', () => {
    const result = parseJobEvent({ ...base, schemaVersion: 3, occurredAt: 'yesterday', type: 'JOB_FAILED', job: { id: 'a b', kind: 'analysis' }, error: {} });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { field: 'schemaVersion', message: 'must be one of 1, 2' },
        { field: 'occurredAt', message: 'must be a valid ISO 8601 date string' },
        { field: 'job.id', message: 'must not contain white space' },
        { field: 'error.message', message: expect.stringMatching(/string|empty/) },
      ]),
    );
  });

  it('refuses missing parts, unknown types, unknown fields and non-objects', () => {
    expect(parseJobEvent({ ...base, type: 'JOB_SUCCEEDED' })).toMatchObject({ ok: false, problems: [{ field: 'job' }] });
    expect(parseJobEvent({ ...base, type: 'JOB_EXPLODED' })).toMatchObject({ ok: false, problems: [{ field: 'type' }] });
    expect(parseJobEvent({ ...base, type: 'VERSION_CREATED', version: { name: 'v1' }, colour: 'red' })).toMatchObject({
      ok: false,
      problems: [{ field: 'colour', message: 'property colour should not exist' }],
    });
    expect(parseJobEvent('{}')).toMatchObject({ ok: false, problems: [{ field: '(event)' }] });
    expect(parseJobEvent(null)).toMatchObject({ ok: false });
  });

  it('refuses a list where one object is expected (two applications, a job in a list, an empty list), naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, type: JobEventType.JOB_SUCCEEDED, job, application: [base.application, { id: 'app-2', name: 'Payroll' }] }, 'application'],
      [{ ...base, type: JobEventType.JOB_SUCCEEDED, job, application: [] }, 'application'],
      [{ ...base, type: JobEventType.JOB_SUCCEEDED, job: [job] }, 'job'],
      [{ ...base, type: JobEventType.JOB_FAILED, job, error: [{ message: 'boom' }, { message: 'bang' }] }, 'error'],
      [{ ...base, type: JobEventType.JOB_STOPPED, job, stoppedBy: [{ id: 'bob' }, { id: 'eve' }] }, 'stoppedBy'],
      [{ ...base, type: JobEventType.APPLICATION_CREATED, createdBy: [] }, 'createdBy'],
      [{ ...base, type: JobEventType.VERSION_CREATED, version: [{ name: 'v1' }] }, 'version'],
      [{ ...base, type: JobEventType.VERSION_CREATED, version: { name: 'v1' }, createdBy: [{ id: 'ann' }] }, 'createdBy'],
    ];
    for (const [event, field] of cases) expect(parseJobEvent(event)).toEqual({ ok: false, problems: [{ field, message: 'must be an object' }] });
    // A manager is one object too, not a list of them.
    const created = { ...base, schemaVersion: 2, type: JobEventType.APPLICATION_CREATED };
    expect(parseJobEvent({ ...created, managers: [[{ id: 'ann' }, { id: 'bob' }]] })).toEqual({ ok: false, problems: [{ field: 'managers', message: 'each manager must be an object' }] });
    expect(parseJobEvent({ ...created, managers: [{ id: 'ann' }] })).toMatchObject({ ok: true });
  });

  it('refuses an id or a name longer than its column in code points, though each letter carries a variation selector', () => {
    const result = parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job, id: 'e\ufe0f'.repeat(128), application: { id: 'app-1', name: '\u2764\ufe0f'.repeat(255) } });
    expect(result).toEqual({
      ok: false,
      problems: [
        { field: 'id', message: 'must be shorter than or equal to 128 characters' },
        { field: 'application.name', message: 'must be shorter than or equal to 255 characters' },
      ],
    });
    expect(parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job, id: 'e\ufe0f'.repeat(64), application: { id: 'app-1', name: '\u2764\ufe0f'.repeat(127) } })).toMatchObject({ ok: true });
  });

  it('refuses a time that is ISO 8601 but that no JavaScript Date reads (week, ordinal or basic forms, a decimal comma), naming the field', () => {
    for (const time of ['2026-W48-2', '2026W482', '2026-328', '20261124T094230Z', '2026-11-24T09:42:30,5Z']) {
      const problems = (field: string) => ({ time, result: { ok: false, problems: [{ field, message: 'must be a valid ISO 8601 date string' }] } });
      expect({ time, result: parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job, occurredAt: time }) }).toEqual(problems('occurredAt'));
      expect({ time, result: parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job: { ...job, endedAt: time } }) }).toEqual(problems('job.endedAt'));
    }
    for (const time of ['2026-11-24T09:42:30Z', '2026-11-24T09:42:30.123+02:00', '2026-11-24T09:42:30.5-0130', '2026-11-24']) {
      expect({ time, result: parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job, occurredAt: time }) }).toMatchObject({ time, result: { ok: true } });
    }
  });

  it('refuses a time of day without a time zone, which would be read in whatever zone the server runs in, naming the field', () => {
    for (const time of ['2026-11-24T09:42:30', '2026-11-24T09:42', '2026-11-24T09:42:30.123', '2026-11-24 09:42:30']) {
      const problems = (field: string) => ({ time, result: { ok: false, problems: [{ field, message: 'must give its time zone (Z or ±hh:mm) after the time of day' }] } });
      expect({ time, result: parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job, occurredAt: time }) }).toEqual(problems('occurredAt'));
      expect({ time, result: parseJobEvent({ ...base, type: JobEventType.JOB_SUCCEEDED, job: { ...job, startedAt: time } }) }).toEqual(problems('job.startedAt'));
    }
  });

  // Every text field of the wire format, as [path, what kind of text it is].
  const TEXT_FIELDS: Array<[string, 'id' | 'line' | 'lines']> = [
    ['id', 'id'],
    ['application.id', 'id'],
    ['application.name', 'line'],
    ['job.id', 'id'],
    ['job.kind', 'line'],
    ['error.message', 'lines'],
    ['error.step', 'line'],
    ['error.logExcerpt', 'lines'],
  ];
  const failed = { ...base, type: JobEventType.JOB_FAILED, job, error: { message: 'boom', step: 'Run', logExcerpt: 'l1' } };

  function withValue(path: string, value: string): Record<string, unknown> {
    const event = structuredClone(failed) as Record<string, any>;
    const keys = path.split('.');
    const last = keys.pop()!;
    keys.reduce((o, k) => o[k], event)[last] = value;
    return event;
  }

  it.each(TEXT_FIELDS)('refuses NUL and other control characters in %s, naming it and not the value', (path, kind) => {
    for (const control of ['\u0000', '\u0001', '\u001b', '\u007f', ...(kind === 'lines' ? [] : ['\r\n', '\t'])]) {
      const result = parseJobEvent(withValue(path, `secret${control}value`));
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.problems.map((p) => p.field)).toEqual(result.problems.map(() => path));
      expect(JSON.stringify(result.problems)).not.toContain('secret');
    }
    if (kind === 'lines') expect(parseJobEvent(withValue(path, 'line 1\r\n\tline 2'))).toMatchObject({ ok: true });
  });

  it('checks the text of the other event types the same way', () => {
    const nul = 'x\u0000';
    for (const e of [
      { ...base, type: JobEventType.JOB_STOPPED, job, stoppedBy: { id: nul } },
      { ...base, type: JobEventType.JOB_STOPPED, job, stoppedBy: { id: 'bob', name: nul } },
      { ...base, type: JobEventType.VERSION_CREATED, version: { name: nul } },
      { ...base, type: JobEventType.VERSION_CREATED, version: { name: 'v1', id: nul } },
      { ...base, type: JobEventType.APPLICATION_CREATED, createdBy: { id: 'ann', name: nul } },
    ]) {
      expect(parseJobEvent(e)).toMatchObject({ ok: false, problems: [{ message: 'must not contain control characters' }] });
    }
  });
});

describe('a log excerpt over its limit', () => {
  it('is shortened to its end, with a marker of what was cut, within the limit', () => {
    const log = `${'a'.repeat(70_000)}THE END`;
    const short = shortenLogExcerpt(log);
    expect(short.length).toBeLessThanOrEqual(LOG_EXCERPT_MAX_LENGTH);
    const [, cut] = LOG_CUT_MARKER.exec(short)!;
    expect(short).toBe(`… ${cut} characters cut\n${log.slice(Number(cut))}`);
    expect(short.endsWith('THE END')).toBe(true);
    expect(shortenLogExcerpt('short')).toBe('short');
    expect(shortenLogExcerpt('x'.repeat(LOG_EXCERPT_MAX_LENGTH))).toHaveLength(LOG_EXCERPT_MAX_LENGTH);
  });

  it('never splits a surrogate pair', () => {
    for (let pad = 0; pad < 4; pad++) {
      const short = shortenLogExcerpt('x'.repeat(pad) + '😀'.repeat(40_000), 100);
      const kept = short.slice(short.indexOf('\n') + 1);
      expect(kept).toMatch(/^(😀)+$/u);
      expect(short.length).toBeLessThanOrEqual(100);
    }
  });
});
