import { connect as amqpConnect } from 'amqplib';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { HeraldPublisher, InvalidEventError } from '../libs/client/src';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

/**
 * Needs RabbitMQ: CI sets HERALD_TEST_RABBITMQ_URL (amqp://guest:guest@127.0.0.1:5672).
 * Without it these tests are skipped, and say so.
 */
const RABBITMQ_URL = process.env.HERALD_TEST_RABBITMQ_URL;
if (!RABBITMQ_URL) console.warn('broker.e2e-spec: skipped — set HERALD_TEST_RABBITMQ_URL to run the RabbitMQ suites');
const describeWithBroker = RABBITMQ_URL ? describe : describe.skip;

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

describeWithBroker(`job events over RabbitMQ (${DATABASE_KIND})`, () => {
  const queue = `herald.test.${process.pid}.${Date.now()}`;
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let publisher: HeraldPublisher;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({
      RABBITMQ_URL: RABBITMQ_URL!,
      RABBITMQ_QUEUE: queue,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      SMTP_SECURITY: 'NONE',
      SMTP_AUTH: 'false',
      SMTP_SENDER: 'h@example.com',
    });
    await seedApplication(app, { id: 'mq-app', name: 'Queued' }, [{ id: 'mia' }, { id: 'max' }]);
    publisher = new HeraldPublisher({ url: RABBITMQ_URL!, queue });
  });
  afterAll(async () => {
    await publisher.close();
    await app.close();
    await sink.stop();
    const conn = await amqpConnect(RABBITMQ_URL!);
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await ch.deleteQueue(`${queue}.dead-letter`);
    await conn.close();
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
  });

  it('refuses an invalid event before sending it', async () => {
    await expect(publisher.publish({ ...jobEvent(), occurredAt: 'soon' })).rejects.toThrow(InvalidEventError);
  });

  it('dead-letters what can never be processed, with the reason, and goes on with the rest', async () => {
    const conn = await amqpConnect(RABBITMQ_URL!);
    const ch = await conn.createConfirmChannel();
    try {
      ch.sendToQueue(queue, Buffer.from('this is not json'), { persistent: true, messageId: 'not-json' });
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ ...jobEvent(), type: 'JOB_EXPLODED' })), { persistent: true, messageId: 'bad-type' });
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ ...jobEvent(), occurredAt: 'soon' })), { persistent: true, messageId: 'bad-date' });
      const after = jobEvent();
      ch.sendToQueue(queue, Buffer.from(JSON.stringify(after)), { persistent: true, messageId: after.id });
      await ch.waitForConfirms();

      await eventually(async () => expect(mailsOf(after.id)).toHaveLength(2));
      const dead: Record<string, string> = {};
      await eventually(async () => {
        for (let m = await ch.get(`${queue}.dead-letter`, { noAck: true }); m; m = await ch.get(`${queue}.dead-letter`, { noAck: true })) {
          dead[m.properties.messageId as string] = String(m.properties.headers?.['x-herald-reason']);
        }
        expect(Object.keys(dead).sort()).toEqual(['bad-date', 'bad-type', 'not-json']);
      });
      expect(dead['not-json']).toBe('the body is not JSON');
      expect(dead['bad-type']).toMatch(/type must be one of JOB_SUCCEEDED/);
      expect(dead['bad-date']).toMatch(/occurredAt must be a valid ISO 8601 date string/);
      // Nothing is left unacknowledged in the main queue.
      const { messageCount } = await ch.checkQueue(queue);
      expect(messageCount).toBe(0);
    } finally {
      await conn.close();
    }
  });

  it('puts back a message whose event could not be recorded (database trouble), and loses nothing', async () => {
    const dataSource = app.app.get(DataSource);
    const schema = DATABASE_KIND === 'postgres' ? `"${app.storage.schema}".` : '';
    await dataSource.query(`ALTER TABLE ${schema}job_events RENAME TO job_events_away`);
    const e = jobEvent();
    try {
      await publisher.publish(e);
      await new Promise((r) => setTimeout(r, 1500)); // at least one failed attempt, requeued
      expect(mailsOf(e.id)).toHaveLength(0);
    } finally {
      await dataSource.query(`ALTER TABLE ${schema}job_events_away RENAME TO job_events`);
    }
    await eventually(async () => expect(mailsOf(e.id)).toHaveLength(2));
  });

  it('needs no token: the broker authorises its publishers', async () => {
    expect((await app.gql('{ event(id: "x") { id } }', {}, app.token(Role.USER))).errors?.[0].extensions.code).toBe('FORBIDDEN');
  });
});
