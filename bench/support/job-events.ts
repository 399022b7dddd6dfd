import { JobEventType, type JobEvent } from '@herald/contracts';

let seq = 0;
/** BENCH_JOB_KINDS=64: the events' job kinds taken in turn from that many (each kind's job history is a row of its own); default one. */
const KINDS = Number(process.env.BENCH_JOB_KINDS ?? 1);

/** A JOB_FAILED event about `applicationId` in the wire format, unique per call (id, job id). */
export function jobEvent(applicationId: string): JobEvent {
  ++seq;
  return {
    schemaVersion: 1,
    id: `bench-${process.pid}-${seq}`,
    type: JobEventType.JOB_FAILED,
    occurredAt: new Date().toISOString(),
    application: { id: applicationId, name: `Application ${applicationId}` },
    job: { id: `job-${seq}`, kind: KINDS > 1 ? `analysis-${seq % KINDS}` : 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' },
    error: { message: 'Out of memory while building the call graph', step: 'Run analyzer', logExcerpt: 'INFO start\n'.repeat(40) },
  } as JobEvent;
}

/** Runs `send` over the events with `inFlight` at a time. */
export async function eachInFlight<T>(events: T[], inFlight: number, send: (e: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < events.length) await send(events[next++]);
  }));
}

/** The people the benchmarks seed as managers of an application: the same rows for Herald and for the peer stack. */
export function managersOf(applicationId: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    externalId: `${applicationId}-u${i}`,
    displayName: `User ${i}`,
    email: `${applicationId}-u${i}@bench.example.com`,
    notificationsEnabled: true,
    locale: 'en',
  }));
}
