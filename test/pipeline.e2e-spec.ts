import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource, In } from 'typeorm';
import { JOB_EVENT_CHANNEL } from '@herald/contracts';
import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { JobEventIngestionService } from '../src/job-events/ingestion/job-event-ingestion.service';
import { Dispatcher } from '../src/notifications/dispatch/dispatcher';
import { DeliveryEntity, DeliveryStatus } from '../src/notifications/entities/delivery.entity';
import { DeliveryOutbox } from '../src/notifications/outbox/delivery-outbox';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const FAST_RETRIES = {
  DISPATCH_BACKOFF_BASE_MS: '50',
  DISPATCH_BACKOFF_MAX_MS: '200',
  DISPATCH_SWEEP_INTERVAL_MS: '100',
  DISPATCH_MAX_ATTEMPTS: '30',
  // Bursts of events to the same people, each of which must arrive as its own mail (the cap: test/mail-cap.e2e-spec.ts).
  MAIL_CAP_COUNT: '0',
};
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId duplicate deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { id type recipients source deliveries { recipientId status attempts lastReply lastError messageId } } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';

let seq = 0;
const job = { id: 'job-42', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' };
function event(type: string, applicationId: string, extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    id: `evt-${process.pid}-${++seq}`,
    type,
    occurredAt: '2026-11-24T09:42:30Z',
    application: { id: applicationId, name: `App ${applicationId}` },
    ...extra,
  };
}
/** The ids of an event's deliveries, from the delivery log. */
const deliveryIdsOf = async (app: HeraldTestApp, eventId: string): Promise<number[]> =>
  ((await app.admin('query($id: ID!) { event(id: $id) { deliveries { id } } }', { id: eventId })).event.deliveries as Array<{ id: string }>).map((d) => Number(d.id));
const mailsOf = (sink: SmtpSink, eventId: string) => sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId);
const recipientsOf = (mails: ReceivedMail[]) => mails.flatMap((m) => m.to).sort();

describe(`job events to delivered email (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const service = () => app.token(Role.SERVICE, 'console');
  const publish = async (e: object) => {
    const res = await app.gql(PUBLISH, { input: e }, service());
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.publishJobEvent as { eventId: string; duplicate: boolean; deliveries: number };
  };
  const eventLog = async (id: string) => (await app.admin(EVENT, { id })).event;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start(FAST_RETRIES);
    await app.admin(UPDATE_SMTP, {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com/aip' },
    });
    await seedApplication(app, { id: 'app-1', name: 'Billing' }, [
      { id: 'ann' },
      { id: 'bob' },
      { id: 'no-email', email: null },
      { id: 'switched-off', notificationsEnabled: false },
      { id: 'no-success', optOut: ['JOB_SUCCEEDED'] },
      { id: 'viewer', role: 'VIEW' },
    ]);
    await seedApplication(app, { id: 'app-2', name: 'Payroll' }, [{ id: 'carol' }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  const expectations: Array<[string, Record<string, unknown>, string[], RegExp]> = [
    ['JOB_SUCCEEDED', { job }, ['ann', 'bob'], /^\[App app-1\] Analysis succeeded$/],
    // A failure of a kind of its own: the successes of app-1's analysis below are no fixes (job-history.e2e-spec.ts is about those).
    ['JOB_FAILED', { job: { ...job, kind: 'scan' }, error: { message: 'Out of memory', step: 'Run analyzer', logExcerpt: 'line 1\nline 2' } }, ['ann', 'bob', 'no-success'], /^\[App app-1\] Scan failed: Run analyzer$/],
    ['JOB_STOPPED', { job, stoppedBy: { id: 'bob', name: 'Bob Smith' } }, ['ann', 'bob', 'no-success'], /^\[App app-1\] Analysis stopped by Bob Smith$/],
    ['APPLICATION_CREATED', { createdBy: { id: 'ann' } }, ['ann', 'bob', 'no-success'], /^\[App app-1\] Application created$/],
    ['VERSION_CREATED', { version: { name: 'v2.1' } }, ['ann', 'bob', 'no-success'], /^\[App app-1\] New version v2.1$/],
  ];
  for (const [type, extra, who, subject] of expectations) {
    it(`${type}: exactly one mail to each manager with an email, notifications on and not opted out`, async () => {
      const e = event(type, 'app-1', extra);
      expect(await publish(e)).toEqual({ eventId: e.id, duplicate: false, deliveries: who.length });
      const mails = await eventually(async () => {
        const got = mailsOf(sink, e.id);
        expect(got).toHaveLength(who.length);
        return got;
      });
      expect(recipientsOf(mails)).toEqual(who.map((p) => `${p}@example.com`));
      for (const mail of mails) {
        expect(mail.to).toHaveLength(1); // one recipient per mail: nobody sees another's address
        expect((mail.parsed.to as { value: { address?: string }[] }).value.map((a) => a.address)).toEqual(mail.to);
        expect(mail.parsed.cc).toBeUndefined();
        expect(mail.parsed.subject).toMatch(subject);
        expect(mail.parsed.from?.value[0]).toEqual({ address: 'herald@example.com', name: 'Herald' });
        expect(mail.parsed.text).toBeTruthy();
        expect(mail.parsed.html).toBeTruthy();
        expect(mail.parsed.date).toBeInstanceOf(Date);
        expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');
        // One list per application (test/threads.e2e-spec.ts checks the conversation's headers).
        expect(mail.raw).toMatch(/^List-Id: [^<\r\n]+ <[a-z0-9-]+\.[0-9a-z]+\.notifications\.example\.com>/im);
        expect(mail.raw).toMatch(/^List-Unsubscribe: <https:\/\/console\.example\.com\/aip\/profile\/notifications>/m);
        expect(mail.parsed.messageId).toMatch(/^<herald\.\d+\.[0-9a-f]{16}@example\.com>$/);
      }
      if (type === 'JOB_FAILED') {
        for (const mail of mails) {
          // The log excerpt as the job wrote it: no line indented by the layout.
          expect(mail.parsed.html).toMatch(/<pre[^>]*>line 1\nline 2<\/pre>/);
          // The text part: the summary, a blank line, then the details.
          expect(mail.parsed.text).toMatch(/line 1\nline 2\n\nApplication: /);
        }
      }
      const log = await eventLog(e.id);
      expect(log).toMatchObject({ id: e.id, type, recipients: who.length, source: 'graphql' });
      expect(log.deliveries.map((d: { recipientId: string }) => d.recipientId).sort()).toEqual(who);
      await eventually(async () => {
        const deliveries = (await eventLog(e.id)).deliveries;
        expect(deliveries.every((d: { status: string; lastReply: string; attempts: number }) => d.status === 'SENT' && /^250/.test(d.lastReply) && d.attempts === 1)).toBe(true);
      });
    });
  }

  it('links to the job in the console and escapes everything the event brought', async () => {
    const e = event('JOB_FAILED', 'app-1', { job: { ...job, id: 'job/7', kind: 'lint' }, error: { message: '<script>alert("x")</script> & <b>bold</b>', step: 'Load <sources>' } });
    await publish(e);
    const [mail] = await eventually(async () => {
      const got = mailsOf(sink, e.id);
      expect(got.length).toBeGreaterThan(0);
      return got;
    });
    expect(mail.parsed.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(mail.parsed.html).not.toContain('<script>');
    expect(mail.parsed.html).toContain('href="https://console.example.com/aip/applications/app-1/jobs/job%2F7"');
    expect(mail.parsed.text).toContain('https://console.example.com/aip/applications/app-1/jobs/job%2F7');
    expect(mail.parsed.text).toContain('Error: <script>alert("x")</script> & <b>bold</b>');
    expect(mail.parsed.text).toContain('Took:        42 min, 30 sec');
    expect(mail.parsed.subject).toBe('[App app-1] Lint failed: Load <sources>');
  });

  it('encodes names and subjects beyond ASCII, and every recipient gets the same parts under their own headers', async () => {
    const name = 'Zoë "Z" O’Brien, Jr.';
    await seedApplication(app, { id: 'app-ü', name: 'Übersicht' }, [{ id: 'zoe' }, { id: 'yan' }]);
    expect((await app.gql('mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { displayName } }', { input: { displayName: name } }, app.token(Role.USER, 'zoe'))).errors).toBeUndefined();
    const e = event('JOB_FAILED', 'app-ü', { job, error: { message: 'Speicher voll — “out of memory”', step: 'Analyse' } });
    e.application.name = 'Übersicht';
    await publish(e);
    const mails = await eventually(async () => {
      const got = mailsOf(sink, e.id);
      expect(got).toHaveLength(2);
      return got.sort((a, b) => a.to[0].localeCompare(b.to[0]));
    });
    const [yan, zoe] = mails;
    expect(zoe.parsed.to).toMatchObject({ value: [{ name, address: 'zoe@example.com' }] });
    expect(yan.parsed.to).toMatchObject({ value: [{ name: '', address: 'yan@example.com' }] });
    for (const mail of mails) {
      expect(mail.raw).not.toMatch(/[^\x00-\x7f]/); // 7-bit on the wire: headers encoded, body quoted-printable
      expect(mail.parsed.subject).toBe('[Übersicht] Analysis failed: Analyse');
      expect(mail.parsed.text).toContain('Speicher voll — “out of memory”');
      expect(mail.parsed.html).toContain('Speicher voll — “out of memory”');
    }
    expect(zoe.parsed.text).toBe(yan.parsed.text);
    expect(zoe.parsed.messageId).not.toBe(yan.parsed.messageId);
    expect(zoe.parsed.headers.get('x-herald-delivery-id')).not.toBe(yan.parsed.headers.get('x-herald-delivery-id'));
  });

  it('rejects an invalid event naming the fields, and records nothing', async () => {
    const bad = { ...event('JOB_FAILED', 'app-1', { job: { id: 'j', kind: 'analysis' } }), occurredAt: 'yesterday' };
    const res = await app.gql(PUBLISH, { input: bad }, service());
    expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions.fields).toEqual(
      expect.arrayContaining([
        { field: 'occurredAt', message: 'must be a valid ISO 8601 date string' },
        { field: 'error', message: expect.any(String) },
      ]),
    );
    expect(await eventLog(bad.id)).toBeNull();
    expect((await app.gql(PUBLISH, { input: event('JOB_SUCCEEDED', 'app-1', { job }) }, app.token(Role.USER, 'ann'))).errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('acknowledges an event published twice and mails each person once', async () => {
    const e = event('JOB_SUCCEEDED', 'app-2', { job });
    expect((await publish(e)).duplicate).toBe(false);
    expect(await publish(e)).toEqual({ eventId: e.id, duplicate: true, deliveries: 0 });
    await eventually(async () => expect(mailsOf(sink, e.id)).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsOf(sink, e.id)).toHaveLength(1);
  });

  it('takes events from modules of the same app through the in-process emitter', async () => {
    const e = event('VERSION_CREATED', 'app-2', { version: { name: 'v9' } });
    const [result] = await app.app.get(EventEmitter2).emitAsync(JOB_EVENT_CHANNEL, e);
    expect(result).toEqual({ eventId: e.id, duplicate: false, deliveries: 1 });
    await eventually(async () => expect(recipientsOf(mailsOf(sink, e.id))).toEqual(['carol@example.com']));
    expect((await eventLog(e.id)).source).toBe('emitter');
  });

  it('shows ADMINs every delivery and a USER only their own', async () => {
    const all = (await app.admin('{ deliveries(first: 100) { totalCount edges { node { recipientId status } } } }')).deliveries;
    expect(new Set(all.edges.map((e: { node: { recipientId: string } }) => e.node.recipientId)).size).toBeGreaterThan(1);
    const mine = await app.gql('{ deliveries(first: 100) { totalCount edges { node { recipientId eventType status lastReply } } } }', {}, app.token(Role.USER, 'carol'));
    expect(mine.data.deliveries.totalCount).toBeGreaterThan(0);
    expect(mine.data.deliveries.edges.every((e: { node: { recipientId: string } }) => e.node.recipientId === 'carol')).toBe(true);
    const tryOthers = await app.gql('{ deliveries(filter: { recipientId: "ann" }) { totalCount edges { node { recipientId } } } }', {}, app.token(Role.USER, 'carol'));
    expect(tryOthers.data.deliveries.edges.every((e: { node: { recipientId: string } }) => e.node.recipientId === 'carol')).toBe(true);
    const filtered = (await app.admin('{ deliveries(filter: { eventType: VERSION_CREATED, applicationId: "app-2", status: SENT }) { totalCount } }')).deliveries;
    expect(filtered.totalCount).toBe(1);
  });

  it('records every event of a burst once, with a third of them published twice at the same moment', async () => {
    // All handed over in the same tick: they share transactions (group commit), and on
    // SQLite's one connection two transactions must never interleave.
    const ingestion = app.app.get(JobEventIngestionService);
    const burst = Array.from({ length: 60 }, () => event('JOB_STOPPED', 'app-2', { job, stoppedBy: { id: 'carol' } }));
    const calls = burst.flatMap((e, i) => (i % 3 === 0 ? [ingestion.ingest(e, 'emitter'), ingestion.ingest(e, 'emitter')] : [ingestion.ingest(e, 'emitter')]));
    const results = await Promise.all(calls);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(60);
    expect(results.filter((r) => r.duplicate)).toHaveLength(20);
    await eventually(async () => {
      for (const e of burst) expect(mailsOf(sink, e.id)).toHaveLength(1);
    });
    for (const e of burst.slice(0, 5)) {
      await eventually(async () => expect(await eventLog(e.id)).toMatchObject({ recipients: 1, deliveries: [{ recipientId: 'carol', status: 'SENT' }] }));
    }
  });

  it('retries while the relay answers 451, and every mail arrives', async () => {
    const e = event('JOB_SUCCEEDED', 'app-1', { job });
    sink.failWith = { code: 451, message: 'Try again later' };
    await publish(e);
    await eventually(async () => {
      const d = (await eventLog(e.id)).deliveries;
      expect(d.every((x: { status: string; attempts: number }) => x.status === 'RETRY' || x.attempts >= 2)).toBe(true);
      expect(d[0].lastReply).toMatch(/^451/);
    });
    sink.failWith = undefined;
    await eventually(async () => expect(recipientsOf(mailsOf(sink, e.id))).toEqual(['ann@example.com', 'bob@example.com']));
    const d = (await eventually(async () => {
      const log = (await eventLog(e.id)).deliveries;
      expect(log.every((x: { status: string }) => x.status === 'SENT')).toBe(true);
      return log;
    })) as Array<{ attempts: number }>;
    expect(d.every((x) => x.attempts >= 2)).toBe(true);
  });

  it('fails only the recipient the relay refuses with 550, records the reply, and can retry it', async () => {
    const refusing = await new SmtpSink({ rejectRecipient: (a) => (a === 'bob@example.com' ? { code: 550, message: '5.1.1 Mailbox unavailable' } : undefined) }).start();
    await app.admin(UPDATE_SMTP, { input: { port: refusing.port } });
    try {
      const e = event('JOB_SUCCEEDED', 'app-1', { job });
      await publish(e);
      const deliveries = await eventually(async () => {
        const d = (await eventLog(e.id)).deliveries as Array<{ recipientId: string; status: string; lastReply: string; attempts: number }>;
        expect(d.find((x) => x.recipientId === 'bob')?.status).toBe('FAILED');
        expect(d.find((x) => x.recipientId === 'ann')?.status).toBe('SENT');
        return d;
      });
      expect(deliveries.find((x) => x.recipientId === 'bob')).toMatchObject({ attempts: 1, lastReply: '550 5.1.1 Mailbox unavailable' });
      expect(recipientsOf(mailsOf(refusing, e.id))).toEqual(['ann@example.com']);

      // An admin sends it again once the mailbox exists.
      const failed = (await app.admin('{ deliveries(filter: { status: FAILED, recipientId: "bob" }) { edges { node { id eventId } } } }')).deliveries.edges.find(
        (x: { node: { eventId: string } }) => x.node.eventId === e.id,
      ).node;
      await app.admin(UPDATE_SMTP, { input: { port: sink.port } });
      expect((await app.admin('mutation($id: ID!) { retryDelivery(input: { id: $id }) { status attempts } }', { id: failed.id })).retryDelivery).toEqual({ status: 'PENDING', attempts: 0 });
      await eventually(async () => expect(recipientsOf(mailsOf(sink, e.id))).toEqual(['bob@example.com']));
      await eventually(async () => expect(((await eventLog(e.id)).deliveries as Array<{ status: string }>).every((x) => x.status === 'SENT')).toBe(true));
      // Only a FAILED delivery can be retried: a SENT one is a conflict.
      const again = await app.gql('mutation($id: ID!) { retryDelivery(input: { id: $id }) { status } }', { id: failed.id }, app.token(Role.ADMIN));
      expect(again.errors?.[0].extensions.code).toBe('CONFLICT');
    } finally {
      await app.admin(UPDATE_SMTP, { input: { port: sink.port } });
      await refusing.stop();
    }
  });

  it('loses nothing while the relay is down', async () => {
    const flaky = await new SmtpSink().start();
    const port = flaky.port;
    await app.admin(UPDATE_SMTP, { input: { port } });
    await flaky.stop();
    try {
      const e = event('JOB_FAILED', 'app-1', { job, error: { message: 'x' } });
      await publish(e);
      // A relay-wide failure: the deliveries wait (the relay's circuit), spending no attempt.
      await eventually(async () => {
        const d = (await eventLog(e.id)).deliveries as Array<{ status: string; attempts: number; lastError: string }>;
        expect(d.every((x) => x.status === 'WAITING' && x.attempts === 0)).toBe(true);
        expect(d[0].lastError).toMatch(/ECONNECTION|ECONNREFUSED/);
      });
      const back = await new SmtpSink().start(port);
      try {
        await eventually(async () => expect(recipientsOf(mailsOf(back, e.id))).toEqual(['ann@example.com', 'bob@example.com', 'no-success@example.com']));
      } finally {
        await app.admin(UPDATE_SMTP, { input: { port: sink.port } }); // closes the pool's connections to it
        await back.stop();
      }
    } finally {
      await app.admin(UPDATE_SMTP, { input: { port: sink.port } });
    }
  });

  it('sends deliveries still marked as waiting for a relay once there is one, without another settings change', async () => {
    // What a claim begun under the old settings can leave behind right after the relay is configured.
    const e = event('JOB_SUCCEEDED', 'app-2', { job });
    await app.app.get(EventEmitter2).emitAsync(JOB_EVENT_CHANNEL, e);
    await eventually(async () => expect(mailsOf(sink, e.id)).toHaveLength(1));
    const repo = app.app.get(DataSource).getRepository(DeliveryEntity);
    await repo.update({ id: In(await deliveryIdsOf(app, e.id)) }, { status: DeliveryStatus.WAITING, messageId: null });
    await eventually(async () => expect(mailsOf(sink, e.id)).toHaveLength(2)); // the sweep (100 ms here) finds it
    await eventually(async () => expect((await eventLog(e.id)).deliveries).toMatchObject([{ status: 'SENT', attempts: 2 }]));
  });

  it('without SMTP settings, deliveries wait and say why, spending no attempts', async () => {
    const fresh = await HeraldTestApp.start(FAST_RETRIES);
    try {
      await seedApplication(fresh, { id: 'app-w', name: 'Waiting' }, [{ id: 'wendy' }]);
      const e = event('APPLICATION_CREATED', 'app-w');
      await fresh.gql(PUBLISH, { input: e }, fresh.token(Role.SERVICE, 'console'));
      const waiting = await eventually(async () => {
        const d = (await fresh.admin(EVENT, { id: e.id })).event.deliveries[0];
        expect(d.status).toBe('WAITING');
        return d;
      });
      expect(waiting).toMatchObject({ attempts: 0, lastError: expect.stringMatching(/SMTP is not configured/) });
      await fresh.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'h@example.com' } });
      await eventually(async () => expect(recipientsOf(mailsOf(sink, e.id))).toEqual(['wendy@example.com']));
    } finally {
      await fresh.close();
    }
  });
});

describe(`a Herald process stopped while it sends (${DATABASE_KIND})`, () => {
  it('hands over what it had claimed; after a restart every mail arrives', async () => {
    const slow = await new SmtpSink().start();
    slow.dataDelayMs = 300;
    const env = { ...FAST_RETRIES, DISPATCH_CONCURRENCY: '2', DISPATCH_BATCH_SIZE: '50', DISPATCH_LEASE_MS: '2000' };
    const first = await HeraldTestApp.start(env);
    await first.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: slow.port, security: 'NONE', authEnabled: false, sender: 'h@example.com' } });
    const people = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}` }));
    await seedApplication(first, { id: 'busy', name: 'Busy' }, people);
    const e = event('JOB_SUCCEEDED', 'busy', { job });
    await first.gql(PUBLISH, { input: e }, first.token(Role.SERVICE, 'console'));
    await eventually(async () => expect(mailsOf(slow, e.id).length).toBeGreaterThanOrEqual(2));
    await first.close({ keepData: true }); // mid-way: some sent, two in flight, the rest claimed or pending
    const beforeRestart = mailsOf(slow, e.id).length;
    expect(beforeRestart).toBeLessThan(12);

    const second = await HeraldTestApp.start(env, first.storage);
    try {
      await eventually(async () => expect(new Set(recipientsOf(mailsOf(slow, e.id)))).toEqual(new Set(people.map((p) => `${p.id}@example.com`))), 30_000);
      const duplicates = mailsOf(slow, e.id).length - 12;
      // Only what was in flight when the first process stopped may arrive twice (at most DISPATCH_CONCURRENCY).
      expect(duplicates).toBeLessThanOrEqual(2);
      await eventually(async () => {
        const log = (await second.admin(EVENT, { id: e.id })).event.deliveries as Array<{ status: string }>;
        expect(log.every((d) => d.status === 'SENT')).toBe(true);
      });
    } finally {
      await second.close();
      await slow.stop();
    }
  });

  it('takes over the claims of a process that died, once their lease expires', async () => {
    const s = await new SmtpSink().start();
    // The lease runs out when the test moves the clock, not after 500 ms that a loaded machine may spend on the next request.
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 10));
    const app = await HeraldTestApp.start(FAST_RETRIES, undefined, { clock });
    try {
      // Relay not configured yet: the deliveries are planned and wait.
      await seedApplication(app, { id: 'orphans', name: 'Orphans' }, [{ id: 'o1' }, { id: 'o2' }]);
      const e = event('JOB_SUCCEEDED', 'orphans', { job });
      await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
      await eventually(async () => expect((await app.admin(EVENT, { id: e.id })).event.deliveries.map((d: { status: string }) => d.status)).toEqual(['WAITING', 'WAITING']));
      // Another process claimed them and died (SIGKILL): SENDING, its lease running out soon.
      const repo = app.app.get(DataSource).getRepository(DeliveryEntity);
      await repo.update({ id: In(await deliveryIdsOf(app, e.id)) }, { status: DeliveryStatus.SENDING, leaseOwner: 'dead-host:1:gone', leaseExpiresAt: new Date(clock.now() + 500) });
      const claims = jest.spyOn(app.app.get(DeliveryOutbox), 'claim');
      await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: s.port, security: 'NONE', authEnabled: false, sender: 'h@example.com' } });
      // With a relay, the dispatcher looks at once, and finds them still leased to the dead process.
      expect(await eventually(async () => {
        expect(claims).toHaveBeenCalled();
        return claims.mock.results[0].value as Promise<unknown>;
      })).toEqual([]);
      expect(recipientsOf(mailsOf(s, e.id))).toEqual([]);
      clock.advance(600); // the lease has run out; the dispatcher's sweep (every 100 ms) claims them
      await eventually(async () => expect(recipientsOf(mailsOf(s, e.id))).toEqual(['o1@example.com', 'o2@example.com']));
      expect(app.app.get(Dispatcher).owner).not.toBe('dead-host:1:gone');
    } finally {
      await app.close();
      await s.stop();
    }
  });
});
