import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { SmtpSink } from '../../../test/support/smtp-sink';
import type { Timer } from '../../clock/clock';
import { ManualClock } from '../../clock/manual-clock';
import { Transactions } from '../../database/transactions';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { JobEventIngestionService } from '../../job-events/ingestion/job-event-ingestion.service';
import { UserEntity } from '../../users/entities/user.entity';
import { DeliveriesService } from '../delivery-log/deliveries.service';
import { DigestEntries } from '../digests/digest-entries';
import { Digests } from '../digests/digests';
import { DeliveryStatus } from '../entities/delivery.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryOutbox } from '../outbox/delivery-outbox';
import { AudienceSources } from '../../audiences/audience-sources';
import { DeliveryChannels } from '../../channels/delivery-channels';

const MINUTE = 60_000;

/** A clock whose timers fire a millisecond early, as Node's (monotonic) timers may against the wall clock. */
class EarlyClock extends ManualClock {
  override every(ms: number, task: () => void): Timer {
    return super.every(ms > 1 ? ms - 1 : ms, task);
  }
}
let seq = 0;
const outcome = (type: 'JOB_FAILED' | 'JOB_SUCCEEDED', applicationId: string, second: number, message = 'Out of memory') => {
  const at = new Date(Date.UTC(2026, 0, 5, 9, 0, second)).toISOString();
  return {
    schemaVersion: 1,
    id: `cap-${++seq}`,
    type,
    occurredAt: at,
    application: { id: applicationId, name: applicationId === 'billing' ? 'Billing' : 'Payroll' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-01-05T08:00:00Z', endedAt: at },
    ...(type === 'JOB_FAILED' ? { error: { message, step: 'Run analyzer' } } : {}),
  };
};

/**
 * The mail cap as people see it (defaults: 20 mails per person per 10 minutes):
 * Herald's core on SQLite with a real SMTP server, time moved by hand (the
 * ManualClock starts at 2026-01-05 09:00 UTC).
 */
describe('mail cap', () => {
  let sink: SmtpSink;
  let dir: string;
  let core: NotificationsCore;
  const start = async (clock?: ManualClock) => {
    core = await NotificationsCore.start({ SQLITE_PATH: join(dir, 'herald.sqlite') }, { clock });
    await core.useRelay(sink.port);
  };
  const ingest = (event: object) => core.get(JobEventIngestionService).ingest(event, 'emitter');
  const mailsTo = (person: string) => sink.received.filter((m) => m.to.includes(`${person}@example.com`));
  const advance = async (ms: number) => {
    core.clock.advance(ms);
    return core.get(Digests).sweep();
  };
  /** Waits until exactly `n` mails reached the person, and answers them. */
  const exactly = (person: string, n: number) =>
    eventually(async () => {
      const mine = mailsTo(person);
      expect(mine).toHaveLength(n);
      return mine;
    });

  beforeAll(async () => {
    sink = await new SmtpSink().start();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-cap-'));
    await start();
    await core.seedApplication('billing', ['ann']);
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

  it('50 failures in a minute: 20 mails, then one summary listing the other 30 at the end of the window; the delivery log says which mail', async () => {
    const events = Array.from({ length: 50 }, (_, i) => outcome('JOB_FAILED', 'billing', i));
    for (const e of events) await ingest(e);
    const first = await exactly('ann', 20);
    expect(first.map((m) => m.parsed.headers.get('x-herald-event-id')).sort()).toEqual(events.slice(0, 20).map((e) => e.id).sort());
    expect(await advance(10 * MINUTE - 1)).toBe(0); // 09:09:59.999: the window has not ended
    expect(mailsTo('ann')).toHaveLength(20);

    await advance(1); // 09:10: the window's end
    const summary = (await exactly('ann', 21)).find((m) => !first.includes(m))!;
    expect(summary.parsed.subject).toBe('30 more events for Billing');
    const text = summary.parsed.text!;
    expect(text).toContain('30 more events for Billing: 30 failed');
    expect(text).toContain('Herald sends you at most 20 mails every 10 minutes.');
    for (const e of events.slice(20)) expect(text).toContain(`/applications/billing/jobs/${e.job.id}`);
    for (const e of events.slice(0, 20)) expect(text).not.toContain(`/jobs/${e.job.id}\n`);
    expect(summary.parsed.html).toContain('30 more events for <bdi>Billing</bdi>: 30 failed');

    // The delivery log: 21 mails; the summary is one delivery referring to the 30 folded events.
    // (Its outcome, with the Message-ID, is written a moment after the relay's 250.)
    const log = core.get(DeliveriesService);
    const mine = await eventually(async () => {
      const nodes = (await log.list({ recipientId: 'ann' }, 50)).edges.map((e) => e.node);
      expect(nodes.map((d) => d.status)).not.toContain(DeliveryStatus.SENDING);
      return nodes;
    });
    expect(mine).toHaveLength(21);
    const folded = mine.filter((d) => d.kind === 'CAP_SUMMARY');
    expect(folded).toHaveLength(1);
    expect(folded[0].id).toBe(summary.parsed.headers.get('x-herald-delivery-id'));
    expect([...folded[0].eventIds].sort()).toEqual(events.slice(20).map((e) => e.id).sort());
    expect(mine.filter((d) => d.kind === 'EVENT')).toHaveLength(20);
    // Asked about one folded event: it went in that summary mail.
    expect((await log.forEvent(events[42].id)).map((d) => [d.id, d.kind, d.messageId])).toEqual([[folded[0].id, 'CAP_SUMMARY', folded[0].messageId]]);
    expect(folded[0].messageId).toBe(summary.parsed.messageId);

    // The next window starts with the next mail: it goes at once.
    await ingest(outcome('JOB_FAILED', 'billing', 59));
    await exactly('ann', 22);
    expect(await advance(10 * MINUTE)).toBe(0);
  });

  it("the window's own wake-up sends the summary at its end, also when the timer fires a moment early", async () => {
    await core.close();
    await start(new EarlyClock()); // the same database
    for (let i = 0; i < 25; i++) await ingest(outcome('JOB_FAILED', 'billing', i));
    await exactly('ann', 20);
    core.clock.advance(10 * MINUTE - 1); // the wake-up fires at 09:09:59.999, the window still open
    expect(await core.get(Digests).sweep()).toBe(0); // (waits for what the wake-up started)
    core.clock.advance(1); // 09:10: nothing asked by the test: the window's wake-up sends it
    const summary = (await exactly('ann', 21))[20];
    expect(summary.parsed.subject).toBe('5 more events for Billing');
  });

  it('the summary groups by application with counts by type, in the person\'s language', async () => {
    await core.dataSource.getRepository(UserEntity).update({ externalId: 'ann' }, { locale: 'fr', timeZone: 'Europe/Paris' });
    const events = [
      ...Array.from({ length: 30 }, (_, i) => outcome('JOB_FAILED', 'billing', i)),
      outcome('JOB_SUCCEEDED', 'billing', 31), // a fix: JOB_RECOVERED
      ...Array.from({ length: 4 }, (_, i) => outcome('JOB_FAILED', 'payroll', 40 + i)),
    ];
    for (const e of events) await ingest(e);
    await exactly('ann', 20);
    await advance(10 * MINUTE);
    const summary = (await exactly('ann', 21)).find((m) => !m.parsed.headers.get('x-herald-event-id')?.toString().startsWith('cap-') || m.parsed.subject?.includes('autres'))!;
    expect(summary.parsed.subject).toBe('15 autres événements dans 2 applications');
    const text = summary.parsed.text!;
    expect(text).toContain('11 autres événements pour Billing\u00a0: 10 en échec, 1 réparé');
    expect(text).toContain('4 autres événements pour Payroll\u00a0: 4 en échec');
    expect(text).toContain('Herald vous envoie au plus 20 messages toutes les 10 minutes.');
    expect(text.indexOf('pour Payroll')).toBeLessThan(text.indexOf('pour Billing')); // payroll's events are the newest
  });

  it('a restart in the middle of the cap window loses nothing and keeps counting', async () => {
    for (let i = 0; i < 25; i++) await ingest(outcome('JOB_FAILED', 'billing', i));
    await exactly('ann', 20);
    await advance(5 * MINUTE); // 09:05
    await core.close();
    await start(); // a new process; its clock starts at 09:00 again
    core.clock.advance(5 * MINUTE); // 09:05
    for (let i = 0; i < 10; i++) await ingest(outcome('JOB_FAILED', 'billing', 30 + i));
    expect(await advance(5 * MINUTE)).toBe(1); // 09:10
    const summary = (await exactly('ann', 21)).at(-1)!;
    expect(summary.parsed.subject).toBe('15 more events for Billing');
  });

  it('exactly one summary per person and window when two processes close it', async () => {
    for (let i = 0; i < 22; i++) await ingest(outcome('JOB_FAILED', 'billing', i));
    await exactly('ann', 20);
    core.clock.advance(10 * MINUTE);
    const other = new Digests(core.get(Transactions), core.get(DigestEntries), core.get(DeliveryOutbox), core.clock, core.get(EventEmitter2), core.get(MailDefaultsService), core.get(AudienceSources), core.get(DeliveryChannels));
    const [a, b] = await Promise.all([core.get(Digests).sweep(), other.sweep()]);
    expect(a + b).toBe(1);
    await exactly('ann', 21);
    expect(await core.dataSource.getRepository(DigestEntity).count()).toBe(1);
  });
});
