import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { HeraldPublisher, InvalidEventError } from '@herald/client';
import { Role } from '../src/auth/role.enum';
import { REDELIVERY_DELAY_MS } from '../src/job-events/broker/job-events-broker.controller';
import { BrokerQueue, refusePublishes } from './support/broker-queue';
import { fillDisk } from './support/database-outage';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { describeIf } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * Needs RabbitMQ: CI sets HERALD_TEST_RABBITMQ_URL (amqp://guest:guest@127.0.0.1:5672).
 * Without it these tests are skipped, and say so.
 */
const RABBITMQ_URL = process.env.HERALD_TEST_RABBITMQ_URL;
const describeWithBroker = describeIf(!!RABBITMQ_URL, 'HERALD_TEST_RABBITMQ_URL');

const EVENT = 'query($id: ID!) { event(id: $id) { source recipients } }';
let seq = 0;
const jobEvent = (id = `broker-${process.pid}-${++seq}`) => ({
  schemaVersion: 1,
  id,
  type: 'JOB_SUCCEEDED',
  occurredAt: '2026-11-24T10:00:00Z',
  application: { id: 'mq-app', name: 'Queued' },
  job: { id: 'j1', kind: 'snapshot' },
});

/** Everything written to stdout and stderr (where Nest's logger writes) from now until `stop()`, which is kept from the console. */
function captureOutput() {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array) => (chunks.push(String(chunk)), true);
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
  return { text: () => chunks.join(''), stop: () => spies.forEach((spy) => spy.mockRestore()) };
}

/** A second connection to an SQLite file (better-sqlite3 has no type declarations installed: the calls used are typed here). */
interface SqliteConnection {
  pragma(sql: string): unknown;
  exec(sql: string): unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const openSqlite = (path: string): SqliteConnection => new (require('better-sqlite3') as new (path: string) => SqliteConnection)(path);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithBroker(`job events over RabbitMQ (${DATABASE_KIND})`, () => {
  const queue = `herald.test.${process.pid}.${Date.now()}`;
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let publisher: HeraldPublisher;
  /** Raw messages in, dead letters out: what a producer without the client library, or an operator, sees of the queue. */
  let broker: BrokerQueue;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({
      RABBITMQ_URL: RABBITMQ_URL!,
      RABBITMQ_QUEUE: queue,
      ...sink.relayEnv(),
      LOG_LEVEL: 'warn', // the Broker's warnings are part of what is checked: they must not carry events' contents
    });
    await seedApplication(app, { id: 'mq-app', name: 'Queued' }, [{ id: 'mia' }, { id: 'max' }]);
    publisher = new HeraldPublisher({ url: RABBITMQ_URL!, queue });
    broker = await BrokerQueue.open(RABBITMQ_URL!, queue);
  });
  afterAll(async () => {
    await publisher?.close();
    await app?.close();
    await sink?.stop();
    await broker?.deleteAndClose();
  });

  const mailsOf = (id: string) => sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === id);

  it('delivers an event published with the client library, once, and shows the broker as connected', async () => {
    const e = jobEvent();
    await publisher.publish(e);
    await publisher.publish(e); // published twice: recorded once
    await eventually(async () => expect(mailsOf(e.id).flatMap((m) => m.to).sort()).toEqual(['max@example.com', 'mia@example.com']));
    expect((await app.admin(EVENT, { id: e.id })).event).toEqual({ source: 'broker', recipients: 2 });
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsOf(e.id)).toHaveLength(2);
    const health = await request(app.url).get('/health');
    expect(health.body).toEqual({ status: 'ok', database: 'up', broker: 'connected' });
    const ready = await request(app.url).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.broker).toEqual({ status: 'up', state: 'connected', configured: true });
  });

  it('refuses an invalid event before sending it', async () => {
    await expect(publisher.publish({ ...jobEvent(), occurredAt: 'soon' })).rejects.toThrow(InvalidEventError);
  });

  it('dead-letters what can never be processed, with the reason, and goes on with the rest', async () => {
    await broker.publish('this is not json', 'not-json');
    await broker.publish({ ...jobEvent(), type: 'JOB_EXPLODED' }, 'bad-type');
    await broker.publish({ ...jobEvent(), occurredAt: 'soon' }, 'bad-date');
    const after = jobEvent();
    await broker.publish(after, after.id);

    await eventually(async () => expect(mailsOf(after.id)).toHaveLength(2));
    const dead: Record<string, string> = {};
    await eventually(async () => {
      for (const m of await broker.takeDeadLettered()) dead[m.properties.messageId as string] = String(m.properties.headers?.['x-herald-reason']);
      expect(Object.keys(dead).sort()).toEqual(['bad-date', 'bad-type', 'not-json']);
    });
    expect(dead['not-json']).toBe('the body is not JSON');
    expect(dead['bad-type']).toMatch(/type must be one of JOB_SUCCEEDED/);
    expect(dead['bad-date']).toMatch(/occurredAt must be a valid ISO 8601 date string/);
    // /metrics counts them, and the event that came through.
    const metrics = await scrape(app.url);
    expect(metrics('herald_broker_dead_lettered_total')).toBeGreaterThanOrEqual(3);
    expect(metrics('herald_events_received_total', { way_in: 'broker' })).toBeGreaterThanOrEqual(1);
    // Nothing is left unacknowledged in the main queue.
    expect(await broker.waiting()).toBe(0);
  });

  /**
   * An operator deletes the dead-letter queue after Herald declared it (Herald
   * declares it once per channel). RabbitMQ confirms a copy it cannot route to any
   * queue and drops it: Herald publishes its copies `mandatory`, and a copy returned
   * unroutable is not taken: the delivery at hand is not acknowledged but put back,
   * and dead-lettered once the queue is declared again.
   */
  it('dead-letters a message after the dead-letter queue was deleted: declares it again, and loses nothing', async () => {
    const first = `before-deletion-${process.pid}`;
    const id = `after-deletion-${process.pid}`;
    await broker.publish('not json, dead-lettered before the deletion', first);
    await eventually(async () => expect((await broker.takeDeadLettered()).map((m) => m.properties.messageId)).toEqual([first]));
    await broker.deleteDeadLetterQueue();
    const out = captureOutput();
    try {
      await broker.publish('not json, after the deletion', id);
      // Not read before Herald says it dead-lettered it: reading it declares the queue again.
      await eventually(async () => expect(out.text()).toContain(`dead-lettered message "${id}" to ${broker.deadLetterQueue}`), 20_000);
    } finally {
      out.stop();
    }
    const dead = await broker.takeDeadLettered();
    expect(dead.map((m) => m.properties.messageId)).toEqual([id]);
    expect(dead[0].content.toString()).toBe('not json, after the deletion');
    expect(dead[0].properties.headers?.['x-herald-reason']).toBe('the body is not JSON');
    expect(out.text()).toMatch(new RegExp(`message "${id}" could not be dead-lettered to ${broker.deadLetterQueue.replace(/\./g, '\\.')} \\(the body is not JSON\\): .*NO_ROUTE`));
    await eventually(async () => expect(await broker.waiting()).toBe(0));
  }, 30_000);

  /**
   * Makes the database unavailable for writes to job_events, the way it is in
   * production: on SQLite another connection holds the write lock (Herald gives up
   * after its busy timeout, SQLITE_BUSY); on PostgreSQL another session locks the
   * table and the server ends the sessions that wait for it (57P01, as in a
   * restart). Returns what ends it.
   */
  async function makeDatabaseUnavailable(): Promise<{ whileWaiting: () => Promise<void>; end: () => Promise<void> }> {
    const config = app.config.database;
    if (config.type === 'sqlite') {
      const other = openSqlite(config.path);
      other.pragma('busy_timeout = 0');
      other.exec('BEGIN IMMEDIATE');
      return { whileWaiting: async () => undefined, end: async () => (other.exec('COMMIT'), other.close()) };
    }
    const other = new Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    await other.query('BEGIN');
    await other.query(`LOCK TABLE "${config.schema}".job_events IN ACCESS EXCLUSIVE MODE`);
    const myPid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    // Herald's sessions that wait for the lock are ended by the server, as in a restart.
    const whileWaiting = () =>
      eventually(async () => {
        const { rows } = await other.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [myPid]);
        expect(rows.length).toBeGreaterThan(0);
      });
    return { whileWaiting, end: async () => (await other.query('COMMIT'), await other.end()) };
  }

  it('puts back a message whose event could not be recorded while the database was unavailable, and loses nothing', async () => {
    const e = jobEvent();
    const out = captureOutput();
    const unavailable = await makeDatabaseUnavailable();
    try {
      await publisher.publish(e);
      await unavailable.whileWaiting();
      // On SQLite each of Herald's writers waits out its busy timeout (5 s) in turn before this one is refused.
      await eventually(async () => expect(out.text()).toMatch(/not recorded \(database unavailable\), back to the queue/), 30_000);
      expect(mailsOf(e.id)).toHaveLength(0);
    } finally {
      await unavailable.end();
      out.stop();
    }
    await eventually(async () => expect(mailsOf(e.id)).toHaveLength(2));
  }, 60_000);

  it('while the disk is full: a message goes back to the queue after longer and longer pauses, never to the dead letters, and is recorded once there is room', async () => {
    const contents = `log of ${process.pid}, not for the log\n`;
    // Large (its log excerpt needs new pages): SQLite's "full" refuses it.
    const e = { ...jobEvent(), type: 'JOB_FAILED', error: { message: 'Out of memory', logExcerpt: contents.repeat(2000) } };
    const out = captureOutput();
    const outage = await fillDisk(app);
    const pauses = () => [...out.text().matchAll(new RegExp(`message "${e.id}" not recorded \\(database unavailable\\), back to the queue in (\\d+) ms`, 'g'))].map((m) => Number(m[1]));
    try {
      await publisher.publish(e);
      // The pause grows with the outage (as long again as it has lasted, from 1 s): no hot loop against a full disk.
      await eventually(async () => expect(Math.max(0, ...pauses())).toBeGreaterThanOrEqual(2 * REDELIVERY_DELAY_MS), 20_000);
      expect(pauses()[0]).toBe(REDELIVERY_DELAY_MS);
      expect(pauses()).toEqual([...pauses()].sort((a, b) => a - b));
    } finally {
      await outage.end();
      out.stop();
    }
    await eventually(async () => expect(mailsOf(e.id)).toHaveLength(2), 30_000);
    expect(out.text()).not.toContain(contents.trim());
    expect(await broker.takeDeadLettered()).toEqual([]);
  }, 60_000);

  /** Makes the database refuse (a CHECK on PostgreSQL, a trigger on SQLite) any event about an application of this name. */
  async function refuseApplicationName(name: string, target = app): Promise<() => Promise<unknown>> {
    const dataSource = target.app.get(DataSource);
    if (DATABASE_KIND === 'postgres') {
      const table = `"${target.storage.schema}".notifications`;
      await dataSource.query(`ALTER TABLE ${table} ADD CONSTRAINT herald_test_refused CHECK ((payload::json #>> '{application,name}') <> '${name}')`);
      return () => dataSource.query(`ALTER TABLE ${table} DROP CONSTRAINT herald_test_refused`);
    }
    await dataSource.query(
      `CREATE TRIGGER herald_test_refused BEFORE INSERT ON notifications WHEN json_extract(NEW.payload, '$.application.name') = '${name}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    return () => dataSource.query('DROP TRIGGER herald_test_refused');
  }

  it('dead-letters a message that fails for a reason that will not change, after 3 tries, with the reason, and does not log its contents', async () => {
    const contents = `Contents-${process.pid}-not-for-logs`;
    const e = { ...jobEvent(), application: { id: 'mq-app', name: contents } };
    const allow = await refuseApplicationName(contents);
    const out = captureOutput();
    try {
      await broker.publish(e, e.id);
      const [dead] = await eventually(async () => {
        const taken = await broker.takeDeadLettered();
        expect(taken).toHaveLength(1);
        return taken;
      }, 20_000);
      expect(dead.properties.messageId).toBe(e.id);
      expect(JSON.parse(dead.content.toString())).toEqual(e); // as published, to be moved back once fixed
      expect(String(dead.properties.headers?.['x-herald-reason'])).toMatch(/^failed 3 times: .*(refused by the test|herald_test_refused)/);
      expect(dead.properties.headers?.['x-herald-attempts']).toBe(2);
      expect(await broker.waiting()).toBe(0);
      await sleep(REDELIVERY_DELAY_MS + 200); // and it is not tried again
      expect(await broker.takeDeadLettered()).toEqual([]);
    } finally {
      out.stop();
      await allow();
    }
    const log = out.text();
    expect(log).toMatch(/try 1 of 3/);
    expect(log).toMatch(/try 2 of 3/);
    expect(log).toContain(`dead-lettered message "${e.id}"`);
    expect(log).not.toContain(contents);
    expect((await app.admin(EVENT, { id: e.id })).event).toBeNull();
    expect(mailsOf(e.id)).toHaveLength(0);
  }, 30_000);

  /**
   * RabbitMQ refuses the copy Herald publishes of a message to be tried again or
   * dead-lettered (a policy: the queue is full, `reject-publish`). The delivery at hand
   * must not have been acknowledged: it comes back, and is handled once the queue has
   * room. A Herald of its own, holding one message at a time (RABBITMQ_PREFETCH=1), so
   * that a second message stays ready in its queue and fills it.
   */
  describe('when RabbitMQ refuses the copy of a message', () => {
    const ownQueue = `herald.test.refused.${process.pid}.${Date.now()}`;
    let own: HeraldTestApp;
    let ownBroker: BrokerQueue;

    beforeAll(async () => {
      own = await HeraldTestApp.start({ RABBITMQ_URL: RABBITMQ_URL!, RABBITMQ_QUEUE: ownQueue, RABBITMQ_PREFETCH: '1', ...sink.relayEnv(), LOG_LEVEL: 'warn' });
      await seedApplication(own, { id: 'mq-app', name: 'Queued' }, [{ id: 'mia' }, { id: 'max' }]);
      ownBroker = await BrokerQueue.open(RABBITMQ_URL!, ownQueue);
    });
    afterAll(async () => {
      await own?.close();
      await ownBroker?.deleteAndClose();
    });

    it('to try it again: the message is not acknowledged but comes back, and is recorded once the queue has room', async () => {
      const contents = `Contents-${process.pid}-refused-copy`;
      const e = { ...jobEvent(), application: { id: 'mq-app', name: contents } };
      const filler = jobEvent();
      const allow = await refuseApplicationName(contents, own);
      const roomAgain = await refusePublishes(ownQueue, 1); // one message ready: the queue is full
      const out = captureOutput();
      try {
        await ownBroker.publish(e, e.id);
        await eventually(async () => expect(out.text()).toContain(`message "${e.id}" not recorded (try 1 of 3)`));
        await ownBroker.publish(filler, filler.id); // ready, not delivered (Herald holds e): the queue is full now
        await sleep(REDELIVERY_DELAY_MS + 2000); // Herald has published the copy of e to try it again, and had it refused
      } finally {
        await roomAgain();
        await allow();
        out.stop();
      }
      await eventually(async () => expect(mailsOf(e.id)).toHaveLength(2), 20_000);
      await eventually(async () => expect(mailsOf(filler.id)).toHaveLength(2));
      expect((await own.admin(EVENT, { id: e.id })).event).toEqual({ source: 'broker', recipients: 2 });
      const log = out.text();
      expect(log).toContain(`message "${e.id}" could not be published again to ${ownQueue} to be tried again: the broker did not take it (message nacked); back to the queue`);
      expect(log).not.toContain(contents);
      expect(await ownBroker.takeDeadLettered()).toEqual([]);
    }, 60_000);

    it('to dead-letter it: the message is not acknowledged but comes back, and is dead-lettered once the dead-letter queue has room', async () => {
      const id = `refused-dead-letter-${process.pid}`;
      await ownBroker.takeDeadLettered(); // the dead-letter queue exists, empty
      const roomAgain = await refusePublishes(ownBroker.deadLetterQueue, 0);
      const out = captureOutput();
      try {
        await ownBroker.publish('not json, and the dead-letter queue is full', id);
        await eventually(async () => expect(out.text()).toMatch(new RegExp(`(dead-lettered message|message) "${id}"`)));
        await sleep(REDELIVERY_DELAY_MS + 1000); // and again, after the pause
      } finally {
        await roomAgain();
        out.stop();
      }
      const [dead] = await eventually(async () => {
        const taken = await ownBroker.takeDeadLettered();
        expect(taken.map((m) => m.properties.messageId)).toEqual([id]);
        return taken;
      }, 20_000);
      expect(dead.content.toString()).toBe('not json, and the dead-letter queue is full');
      expect(dead.properties.headers?.['x-herald-reason']).toBe('the body is not JSON');
      expect(out.text()).toContain(`message "${id}" could not be dead-lettered to ${ownBroker.deadLetterQueue} (the body is not JSON): the broker did not take it (message nacked); back to the queue`);
      await eventually(async () => expect(await ownBroker.waiting()).toBe(0));
    }, 60_000);
  });

  it('needs no token: the broker authorises its publishers', async () => {
    expect((await app.gql('{ event(id: "x") { id } }', {}, app.token(Role.USER))).errors?.[0].extensions.code).toBe('FORBIDDEN');
  });
});
