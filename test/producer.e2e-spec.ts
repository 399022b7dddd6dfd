import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { JOB_EVENT_TYPES } from '@herald/contracts';
import { deleteQueues } from './support/broker-queue';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { describeIf } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * Producers, as another team would have them: a separate Nest service
 * (test/producer-app) installs the PACKED @herald/client and @herald/contracts
 * tarballs (npm pack, then npm install of the .tgz files in a temporary directory:
 * no path into this repository), is compiled against their .d.ts, and publishes one
 * event of each type over RabbitMQ to a running Herald; and the command-line example
 * of docs/client.md (`amqp-publish`, Debian's amqp-tools), run as written there but
 * for the URL and the queue. Every mail must reach the SMTP sink.
 *
 * Needs RabbitMQ (HERALD_TEST_RABBITMQ_URL) and amqp-publish; skipped without the
 * URL. npm installs from its cache (--prefer-offline): the first run on a machine
 * without that cache downloads Nest's packages.
 */
const RABBITMQ_URL = process.env.HERALD_TEST_RABBITMQ_URL;
const describeWithBroker = describeIf(!!RABBITMQ_URL, 'HERALD_TEST_RABBITMQ_URL');

const ROOT = join(__dirname, '..');
const run = promisify(execFile);
/** Runs a command to its end; a failure says what the command printed (tsc's errors, npm's). */
function exec(file: string, args: string[], cwd: string): string {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
/** npm, quiet, from the Node that runs the tests. */
const npm = (cwd: string, args: string[]) => exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);

/** The ```sh block of docs/client.md that runs amqp-publish. */
function documentedAmqpPublish(): string {
  const blocks = [...readFileSync(join(ROOT, 'docs/client.md'), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.startsWith('amqp-publish '));
  if (!block) throw new Error('docs/client.md has no ```sh block starting with amqp-publish');
  return block;
}

describeWithBroker(`producers: the packed client in another Nest service, and amqp-publish (${DATABASE_KIND})`, () => {
  const queue = `herald.test.producer.${process.pid}.${Date.now()}`;
  let work: string;
  let producer: string;
  let tarballs: { filename: string; files: { path: string }[] }[];
  let app: HeraldTestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    // Pack the two libs as a release would (their prepack scripts compile them), then
    // install the tarballs into a copy of the producer app, outside this repository.
    work = mkdtempSync(join(tmpdir(), 'herald-producer-'));
    producer = join(work, 'producer-app');
    tarballs = JSON.parse(npm(ROOT, ['pack', '-w', '@herald/contracts', '-w', '@herald/client', '--pack-destination', work, '--json']));
    cpSync(join(ROOT, 'test/producer-app'), producer, { recursive: true });
    npm(producer, ['install', '--prefer-offline', ...tarballs.map((t) => join(work, t.filename))]);
    // Compiled against the installed packages' .d.ts (strict: a package without them fails here).
    exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], producer);

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
    // The application of docs/client.md's example, so that it runs as written.
    await seedApplication(app, { id: 'app-1', name: 'Billing' }, [{ id: 'ada' }, { id: 'bob' }]);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await sink?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    await deleteQueues(RABBITMQ_URL!, queue);
  });

  const recipientsOf = (id: string) =>
    sink.received
      .filter((m) => m.parsed.headers.get('x-herald-event-id') === id)
      .flatMap((m) => m.to)
      .sort();

  it('packs @herald/contracts and @herald/client as compiled JavaScript with type declarations, and nothing else', () => {
    expect(tarballs.map((t) => t.filename).sort()).toEqual(['herald-client-0.1.0.tgz', 'herald-contracts-0.1.0.tgz']);
    for (const { files } of tarballs) {
      const paths = files.map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']));
      expect(paths.filter((p) => p !== 'package.json' && !/^dist\/[\w.-]+\.(js|d\.ts)$/.test(p))).toEqual([]);
    }
  });

  it('a separate Nest service with the installed tarballs publishes each event type, and every mail arrives', async () => {
    // Installed from the tarballs, not linked to this repository.
    const installed = JSON.parse(readFileSync(join(producer, 'package.json'), 'utf8')).dependencies;
    expect(installed['@herald/client']).toMatch(/^file:.*herald-client-0\.1\.0\.tgz$/);

    const { stdout } = await run(process.execPath, [join(producer, 'dist/main.js')], {
      cwd: producer,
      env: { ...process.env, RABBITMQ_URL: RABBITMQ_URL!, RABBITMQ_QUEUE: queue, RUN_ID: `producer-${process.pid}`, RUN_APPLICATION: 'app-1:Billing' },
    });
    const published = stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; type: string });
    expect(published.map((e) => e.type).sort()).toEqual([...JOB_EVENT_TYPES].sort());
    await eventually(async () => {
      for (const { id } of published) expect({ id, to: recipientsOf(id) }).toEqual({ id, to: ['ada@example.com', 'bob@example.com'] });
    }, 30_000);
  });

  it("docs/client.md's amqp-publish example, run as written (but for the URL and the queue), is mailed too", async () => {
    const command = documentedAmqpPublish()
      .replace('amqp://guest:guest@127.0.0.1:5672', RABBITMQ_URL!)
      .replace('-r herald.job-events', `-r ${queue}`);
    const id = /"id":"([^"]+)"/.exec(command)![1];
    await run('bash', ['-euo', 'pipefail', '-c', command]).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
      throw new Error(`the documented amqp-publish failed (is amqp-tools installed? .ci/run installs it): ${error.stderr ?? error.message}`);
    });
    await eventually(async () => expect(recipientsOf(id)).toEqual(['ada@example.com', 'bob@example.com']));
  });
});
