import { type ChildProcess, execFileSync, execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect as amqpConnect } from 'amqplib';
import { HeraldPublisher } from '@herald/client';
import { HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { describeIf } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * Three Herald processes on one PostgreSQL and one RabbitMQ; one is killed with
 * SIGKILL midway and RabbitMQ is restarted; every mail must arrive. Needs both
 * services (CI sets HERALD_TEST_DATABASE_URL and HERALD_TEST_RABBITMQ_URL) and the
 * built app (dist/herald.cjs, built here if missing).
 */
const RABBITMQ_URL = process.env.HERALD_TEST_RABBITMQ_URL;
const enabled = !!RABBITMQ_URL && !!TEST_DATABASE_URL;

const EVENTS = Number(process.env.HERALD_TEST_MULTI_EVENTS ?? 2000);
const CONCURRENCY = 10;
const ROOT = join(__dirname, '..');

function canRestartRabbit(): boolean {
  try {
    execFileSync('rabbitmqctl', ['status'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

describeIf(enabled, 'HERALD_TEST_DATABASE_URL (PostgreSQL) and HERALD_TEST_RABBITMQ_URL')('several Herald processes on PostgreSQL and RabbitMQ', () => {
  jest.setTimeout(240_000);

  it('consume each event once, claim each delivery once, and lose nothing when one is killed and RabbitMQ restarts', async () => {
    if (!existsSync(join(ROOT, 'dist', 'herald.cjs'))) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
    const sink = await new SmtpSink().start();
    const queue = `herald.multi.${process.pid}.${Date.now()}`;
    const seeder = await HeraldTestApp.start({
      SMTP_HOST: '127.0.0.1', SMTP_PORT: String(sink.port), SMTP_SECURITY: 'NONE', SMTP_AUTH: 'false', SMTP_SENDER: 'h@example.com',
    });
    await seedApplication(seeder, { id: 'multi', name: 'Multi' }, [{ id: 'mona' }]);
    await seeder.close({ keepData: true });

    const children: ChildProcess[] = [];
    const start = (i: number) => {
      // The bundle, as `npm start` and the image run Herald (docs/operations.md).
      const child = spawn(process.execPath, [join(ROOT, 'dist', 'herald.cjs')], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          PATH: process.env.PATH,
          DATA_DIR: seeder.storage.dataDir,
          PORT: String(41000 + (process.pid % 1000) * 3 + i),
          HOST: '127.0.0.1',
          DATABASE_URL: TEST_DATABASE_URL,
          DATABASE_SCHEMA: seeder.storage.schema,
          JWT_SECRET: seeder.config.jwt.secret,
          HERALD_SECRET_KEY: 'a'.repeat(64),
          RABBITMQ_URL,
          RABBITMQ_QUEUE: queue,
          DISPATCH_CONCURRENCY: String(CONCURRENCY),
          DISPATCH_LEASE_MS: '10000',
          DISPATCH_SWEEP_INTERVAL_MS: '200',
          DISPATCH_BACKOFF_BASE_MS: '100',
          DISPATCH_BACKOFF_MAX_MS: '1000',
          DISPATCH_MAX_ATTEMPTS: '100',
          MAIL_CAP_COUNT: '0', // every event to one person: each must arrive as its own mail
          LOG_LEVEL: 'error',
        },
      });
      children.push(child);
      return child;
    };
    for (let i = 0; i < 3; i++) start(i);
    const ids = Array.from({ length: EVENTS }, (_, i) => `multi-${process.pid}-${i}`);
    const publisher = new HeraldPublisher({ url: RABBITMQ_URL!, queue });
    const unique = () => new Set(sink.received.map((m) => m.parsed.headers.get('x-herald-event-id') as string)).size;
    try {
      // Publish the first half, kill one process once some mail has gone out.
      let next = 0;
      const publishUpTo = async (n: number) => {
        await Promise.all(Array.from({ length: 20 }, async () => {
          while (next < n) {
            const id = ids[next++];
            await publisher.publish({ schemaVersion: 1, id, type: 'JOB_SUCCEEDED', occurredAt: new Date().toISOString(), application: { id: 'multi', name: 'Multi' }, job: { id, kind: 'analysis' } });
          }
        }));
      };
      await publishUpTo(EVENTS / 2);
      await eventually(async () => expect(unique()).toBeGreaterThan(EVENTS / 10), 60_000);
      children[1].kill('SIGKILL');

      if (canRestartRabbit()) {
        execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore', timeout: 60_000 });
        execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore', timeout: 60_000 });
      } else {
        console.warn('multi-process.e2e-spec: rabbitmqctl not usable here; RabbitMQ was not restarted');
      }
      await publishUpTo(EVENTS); // waits for reconnection and confirms

      await eventually(async () => expect(unique()).toBe(EVENTS), 180_000);
      const duplicates = sink.received.length - EVENTS;
      console.log(`multi-process: ${EVENTS} events, ${sink.received.length} mails received, ${duplicates} duplicates (at most ${2 * CONCURRENCY} may repeat: per worker of the killed process, one mail in flight and one sent but not yet recorded)`);
      expect(duplicates).toBeLessThanOrEqual(2 * CONCURRENCY);
    } finally {
      await publisher.close().catch(() => undefined);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
      const cleanup = await HeraldTestApp.start({}, seeder.storage);
      await cleanup.close();
      await sink.stop();
      const conn = await amqpConnect(RABBITMQ_URL!);
      const ch = await conn.createChannel();
      await ch.deleteQueue(queue);
      await conn.close();
    }
  });
});
