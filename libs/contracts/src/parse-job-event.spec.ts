import { JobEventType } from './job-event-type';
import { parseJobEvent } from './parse-job-event';

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

  it('names every bad field, nested ones by their path', () => {
    const result = parseJobEvent({ ...base, schemaVersion: 2, occurredAt: 'yesterday', type: 'JOB_FAILED', job: { id: 'a b', kind: 'analysis' }, error: {} });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { field: 'schemaVersion', message: 'must be 1' },
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
});
