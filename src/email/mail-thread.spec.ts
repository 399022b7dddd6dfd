import { createHash } from 'node:crypto';
import { JobEventType } from '@herald/contracts';
import type { NotifiedEvent } from '../event-types/notification-type';
import { readThreadIndex, THREAD_EPOCH, threadHeaders, threadIndex, threadOf } from './mail-thread';

const failed = (app: string, job: string, kind = 'analysis') =>
  ({ schemaVersion: 1, id: `e-${job}`, type: JobEventType.JOB_FAILED, occurredAt: '2026-11-24T09:00:00Z', application: { id: app, name: 'Billing (EU), prod.' }, job: { id: job, kind }, error: { message: 'x' } }) as NotifiedEvent;
const version = (app: string) =>
  ({ schemaVersion: 1, id: 'v', type: JobEventType.VERSION_CREATED, occurredAt: '2026-11-24T09:00:00Z', application: { id: app, name: 'Billing' }, version: { name: 'v2' } }) as NotifiedEvent;

describe('mail threads', () => {
  it('derives the same roots from the same installation, application, kind and job, in any process', () => {
    const a = threadOf([failed('app-1', 'j1')], 'https://console.example.com\nexample.com', 'example.com')!;
    expect(threadOf([failed('app-1', 'j1')], 'https://console.example.com\nexample.com', 'example.com')).toEqual(a);
    expect(a.references).toHaveLength(3);
    expect(threadOf([failed('app-1', 'j2')], 'https://console.example.com\nexample.com', 'example.com')!.references.slice(0, 2)).toEqual(a.references.slice(0, 2));
    // Another installation: other roots.
    expect(threadOf([failed('app-1', 'j1')], 'https://other.example.com\nexample.com', 'example.com')!.references[0]).not.toBe(a.references[0]);
  });

  it('roots are the hashes of the installation, application, kind and job, kept per conversation but never across a renamed application', () => {
    const root = (...parts: string[]) => `<herald.thread.${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32)}@example.com>`;
    for (let mail = 0; mail < 2; mail++) {
      expect(threadOf([failed('app-9', `j${mail}`)], 'i', 'example.com')!.references).toEqual([root('i', 'app-9'), root('i', 'app-9', 'kind', 'analysis'), root('i', 'app-9', 'kind', 'analysis', 'job', `j${mail}`)]);
      expect(threadOf([version('app-9')], 'i', 'example.com')!.references).toEqual([root('i', 'app-9'), root('i', 'app-9', 'application')]);
    }
    const renamed = { ...failed('app-9', 'j1'), application: { id: 'app-9', name: 'Payroll' } } as NotifiedEvent;
    expect(threadOf([renamed], 'i', 'example.com')).toMatchObject({ topic: 'Payroll: analysis', listId: expect.stringMatching(/^Payroll </) });
    expect(threadOf([failed('app-9', 'j1')], 'i', 'example.com')!.topic).toBe('Billing (EU), prod.: analysis');
  });

  it('a digest of several jobs of one kind shares the kind; of several kinds or types, the application; of several applications, none', () => {
    const install = 'i\nexample.com';
    const kind = threadOf([failed('app-1', 'j1')], install, 'example.com')!;
    expect(threadOf([failed('app-1', 'j1'), failed('app-1', 'j2')], install, 'example.com')!.references).toEqual(kind.references.slice(0, 2));
    expect(threadOf([failed('app-1', 'j1'), version('app-1')], install, 'example.com')!.references[0]).toBe(kind.references[0]);
    expect(threadOf([failed('app-1', 'j1'), failed('app-2', 'j1')], install, 'example.com')).toBeNull();
  });

  it('writes a List-Id RFC 2919 accepts: a plain phrase and a label of the id', () => {
    const t = threadOf([failed('Billing/EU 1', 'j1')], 'i', 'example.com')!;
    expect(t.listId).toMatch(/^Billing EU prod <billing-eu-1\.[0-9a-z]+\.notifications\.example\.com>$/);
    expect(threadHeaders(t, Date.UTC(2026, 10, 24)).map((h) => h.key)).toEqual(['In-Reply-To', 'References', 'Thread-Topic', 'Thread-Index', 'List-Id']);
  });

  it('Thread-Index: 0x01, the epoch (top 40 bits of its FILETIME), a GUID of the conversation, one 5-byte level with the time since', () => {
    const sent = Date.UTC(2026, 2, 29, 1, 30);
    const bytes = threadIndex('<root@example.com>', sent);
    expect(bytes).toHaveLength(27);
    expect(bytes[0]).toBe(0x01);
    expect(bytes.subarray(0, 22).equals(threadIndex('<root@example.com>', sent + 86_400_000).subarray(0, 22))).toBe(true);
    expect(bytes.subarray(6, 22).equals(threadIndex('<other@example.com>', sent).subarray(6, 22))).toBe(false);
    const read = readThreadIndex(bytes.toString('base64'));
    // The header keeps the time to 2^24 × 100 ns (1.7 s); the level to 2^23 × 100 ns (0.84 s).
    expect(Math.abs(read.headerTime - THREAD_EPOCH)).toBeLessThan(1700);
    expect(Math.abs(read.headerTime + read.levels[0] - sent)).toBeLessThan(1000);
    expect(bytes[22] & 0x80).toBe(0x80); // more than 2^49 × 100 ns (1.8 years) since the epoch: the wide form
    // Within 1.8 years of the epoch, the narrow form (bits 48–18), finer.
    const early = readThreadIndex(threadIndex('<root@example.com>', THREAD_EPOCH + 3_600_000).toString('base64'));
    expect(Math.abs(early.headerTime + early.levels[0] - (THREAD_EPOCH + 3_600_000))).toBeLessThan(30);
  });
});
