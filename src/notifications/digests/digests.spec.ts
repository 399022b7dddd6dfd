import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { SmtpSink } from '../../../test/support/smtp-sink';
import { JobEventIngestionService } from '../../job-events/ingestion/job-event-ingestion.service';
import { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { UsersService } from '../../users/users.service';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntryEntity } from '../entities/digest-entry.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DigestEntries } from './digest-entries';
import { Digests } from './digests';
import { Transactions } from '../../database/transactions';
import { DeliveryOutbox } from '../outbox/delivery-outbox';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { AudienceSources } from '../../audiences/audience-sources';
import { DeliveryChannels } from '../../channels/delivery-channels';

const HOUR = 3_600_000;
let seq = 0;
const failed = (applicationId: string, minute: number, message = 'Out of memory') => ({
  schemaVersion: 1,
  id: `dg-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: new Date(Date.UTC(2026, 0, 5, 9, minute)).toISOString(),
  application: { id: applicationId, name: `App ${applicationId}` },
  job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-01-05T08:00:00Z', endedAt: new Date(Date.UTC(2026, 0, 5, 9, minute)).toISOString() },
  error: { message, step: 'Run analyzer' },
});

/**
 * Digests as their people see them: Herald's core on SQLite with a real SMTP
 * server, time moved by hand (the ManualClock starts at 2026-01-05 09:00 UTC).
 */
describe('digests', () => {
  let sink: SmtpSink;
  let dir: string;
  let core: NotificationsCore;
  const start = async () => {
    core = await NotificationsCore.start({ SQLITE_PATH: join(dir, 'herald.sqlite') });
    await core.useRelay(sink.port);
  };
  const ingest = (event: object) => core.get(JobEventIngestionService).ingest(event, 'emitter');
  const setFrequency = (person: string, frequency: NotificationFrequency) => core.get(UsersService).setPreference(person, NotificationType.JOB_FAILED, undefined, { frequency });
  const mailsTo = (person: string) => sink.received.filter((m) => m.to.includes(`${person}@example.com`));
  /** Moves the clock and lets every process-level sweep that came due finish. */
  const advance = async (ms: number) => {
    core.clock.advance(ms);
    return core.get(Digests).sweep();
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-digests-'));
    await start();
    await core.seedApplication('billing', ['ann', 'bob']);
    await core.seedApplication('payroll', ['ann']);
  });
  afterEach(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
    sink.received.length = 0;
  });
  afterAll(async () => {
    await sink.stop();
  });

  it('hourly: nothing during the hour, then one mail listing every event grouped by application, newest first; an empty hour sends nothing', async () => {
    await setFrequency('ann', NotificationFrequency.DIGEST_HOURLY);
    const events = [failed('billing', 5, 'Out of memory'), failed('payroll', 10, 'Disk full'), failed('billing', 20, 'Timeout')];
    for (const e of events) await ingest(e);
    await eventually(async () => expect(mailsTo('bob')).toHaveLength(2)); // bob (billing only) wants them at once
    expect(await advance(HOUR - 60_001)).toBe(0); // 09:59
    expect(mailsTo('ann')).toEqual([]);

    expect(await advance(60_001)).toBe(1); // 10:00, the window's end
    const [digest] = await eventually(async () => {
      const mine = mailsTo('ann');
      expect(mine).toHaveLength(1);
      return mine;
    });
    expect(digest.parsed.subject).toBe('Your Herald digest: 3 events in 2 applications');
    const text = digest.parsed.text!;
    // billing has the newest event, so it comes first; in it, 09:20 before 09:05.
    expect(text.indexOf('App billing (billing)')).toBeLessThan(text.indexOf('App payroll (payroll)'));
    expect(text.search(/Jan 5, 2026, 9:20\sAM UTC/)).toBeLessThan(text.search(/Jan 5, 2026, 9:05\sAM UTC/));
    expect(text.search(/Jan 5, 2026, 9:05\sAM UTC/)).toBeGreaterThan(-1);
    expect(text).toContain('Analysis failed: Run analyzer');
    for (const message of ['Out of memory', 'Disk full', 'Timeout']) expect(text).toContain(message);
    expect(text).toContain(`/applications/payroll/jobs/${events[1].job.id}`);
    // The delivery log: one delivery referring to the three events, newest first as collected.
    const deliveryId = Number(digest.parsed.headers.get('x-herald-delivery-id'));
    const refers = await core.dataSource.getRepository(DeliveryEventEntity).find({ where: { deliveryId }, order: { position: 'ASC' } });
    expect(refers.map((r) => r.eventId)).toEqual([events[2].id, events[1].id, events[0].id]);

    expect(await advance(HOUR)).toBe(0); // 11:00: nothing happened in 10:00–11:00
    expect(mailsTo('ann')).toHaveLength(1);
    expect(await core.dataSource.getRepository(DigestEntity).count()).toBe(1);
  });

  it('switching back to IMMEDIATELY sends what was waiting at once, a mail per event', async () => {
    await setFrequency('ann', NotificationFrequency.DIGEST_HOURLY);
    const events = [failed('billing', 1), failed('payroll', 2)];
    for (const e of events) await ingest(e);
    expect(await core.dataSource.getRepository(DigestEntryEntity).count()).toBe(2);
    await setFrequency('ann', NotificationFrequency.IMMEDIATELY);
    const mails = await eventually(async () => {
      const mine = mailsTo('ann');
      expect(mine).toHaveLength(2);
      return mine;
    });
    expect(mails.map((m) => m.parsed.headers.get('x-herald-event-id')).sort()).toEqual(events.map((e) => e.id).sort());
    expect(await core.dataSource.getRepository(DigestEntryEntity).count()).toBe(0);
    expect(await advance(HOUR)).toBe(0);
  });

  it('a change that leaves an event in a digest releases nothing of it: a per-application digest outlives a global switch, a forgotten override falls back to a global digest', async () => {
    const users = core.get(UsersService);
    await setFrequency('ann', NotificationFrequency.DIGEST_HOURLY);
    await users.setPreference('ann', NotificationType.JOB_FAILED, 'payroll', { frequency: NotificationFrequency.DIGEST_HOURLY });
    const [billing, payroll] = [failed('billing', 1), failed('payroll', 2)];
    for (const e of [billing, payroll]) await ingest(e);
    expect(await core.dataSource.getRepository(DigestEntryEntity).count()).toBe(2);

    // Everywhere else at once; payroll still in the digest (its own choice wins).
    await setFrequency('ann', NotificationFrequency.IMMEDIATELY);
    await eventually(async () => expect(mailsTo('ann').map((m) => m.parsed.headers.get('x-herald-event-id'))).toEqual([billing.id]));
    // Back to a global digest, then payroll's override forgotten: payroll is still a digest's.
    await setFrequency('ann', NotificationFrequency.DIGEST_HOURLY);
    await users.setPreference('ann', NotificationType.JOB_FAILED, 'payroll', {});
    await new Promise((r) => setTimeout(r, 200));
    expect(mailsTo('ann')).toHaveLength(1);
    expect(await core.dataSource.getRepository(DigestEntryEntity).count()).toBe(1);

    expect(await advance(HOUR)).toBe(1);
    const digest = await eventually(async () => {
      const mine = mailsTo('ann');
      expect(mine).toHaveLength(2);
      return mine[1];
    });
    expect(digest.parsed.subject).toBe('Your Herald digest: 1 event in 1 application');
    expect(digest.parsed.text).toContain('App payroll (payroll)');
  });

  it('a restart in the middle of a window loses nothing', async () => {
    await setFrequency('ann', NotificationFrequency.DIGEST_HOURLY);
    await ingest(failed('billing', 10));
    await advance(30 * 60_000); // 09:30
    await core.close();
    // Deleting the data dir is close()'s: the database file lives in this test's own dir.
    await start(); // a new process; its clock starts at 09:00 again
    await ingest(failed('payroll', 40));
    expect(await advance(HOUR)).toBe(1);
    const [digest] = await eventually(async () => {
      const mine = mailsTo('ann');
      expect(mine).toHaveLength(1);
      return mine;
    });
    expect(digest.parsed.subject).toBe('Your Herald digest: 2 events in 2 applications');
  });

  it('exactly one digest per person and window when two processes close it', async () => {
    await setFrequency('ann', NotificationFrequency.DIGEST_HOURLY);
    await ingest(failed('billing', 10));
    core.clock.advance(HOUR);
    const digests = core.get(Digests);
    // A second process's Digests: its own closer, the same database.
    const other = new Digests(core.get(Transactions), core.get(DigestEntries), core.get(DeliveryOutbox), core.clock, core.get(EventEmitter2), core.get(MailDefaultsService), core.get(AudienceSources), core.get(DeliveryChannels));
    const [a, b] = await Promise.all([digests.sweep(), other.sweep()]);
    expect(a + b).toBe(1);
    expect(await digests.sweep()).toBe(0);
    await eventually(async () => expect(mailsTo('ann')).toHaveLength(1));
    expect(await core.dataSource.getRepository(DigestEntity).count()).toBe(1);
  });
});
