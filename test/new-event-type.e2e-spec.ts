import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_KIND } from './support/herald-test-app';

/**
 * A new event type is exactly what docs/templates.md says ("A new event type"): on
 * a copy of the tree, this test follows its steps for a throwaway type — the wire
 * format in libs/contracts, the folder with its six files, its one registration,
 * the schema regenerated — and nothing else; then runs, in that copy, the suites a
 * new type concerns (the registry's checks, the catalogue, the rendered mails, the
 * people and preferences suites, the schema) and an end-to-end run of the new type.
 * The type is off by default, as in the docs' example: those who choose it get it,
 * the others do not, and no suite assumes every type is on.
 */

const ROOT = join(__dirname, '..');
/** JOB_QUEUED: carries a job and who queued it (input shapes other types share already: shared-inputs.ts). */
const TYPE = 'JOB_QUEUED';
const FOLDER = 'job-queued';

/** Step 1, the wire format: the value, its class, its line in JOB_EVENT_CLASSES. */
function addToWireFormat(tree: string): void {
  const edit = (file: string, from: string, to: string) => {
    const path = join(tree, file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(from)) throw new Error(`${file} no longer holds "${from}": follow docs/templates.md again`);
    writeFileSync(path, text.replace(from, to));
  };
  edit('libs/contracts/src/job-event-type.ts', "  VERSION_CREATED = 'VERSION_CREATED',\n", "  VERSION_CREATED = 'VERSION_CREATED',\n  /** A job was queued. */\n  JOB_QUEUED = 'JOB_QUEUED',\n");
  edit(
    'libs/contracts/src/job-event.ts',
    '/** The class that validates each type: one entry per type of the catalogue. */',
    `export class JobQueuedEvent extends JobEventBase {
  declare type: JobEventType.JOB_QUEUED;
  @IsDefined() @ValidateNested() @Type(() => JobRef) job: JobRef;
  @IsOptional() @ValidateNested() @Type(() => PersonRef) queuedBy?: PersonRef;
}

/** The class that validates each type: one entry per type of the catalogue. */`,
  );
  edit('libs/contracts/src/job-event.ts', '  VERSION_CREATED: VersionCreatedEvent,\n', '  VERSION_CREATED: VersionCreatedEvent,\n  JOB_QUEUED: JobQueuedEvent,\n');
}

/** Step 2, the folder: the type, its two templates, its messages in each language, an example. */
function addFolder(tree: string): void {
  const folder = join(tree, 'src', 'event-types', FOLDER);
  mkdirSync(folder);
  const files: Record<string, string> = {
    [`${FOLDER}.type.ts`]: `import { JobEventType, JobQueuedEvent } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { JobRefInput, PersonRefInput } from '../shared-inputs';

export const jobQueued = defineEventType<JobQueuedEvent>(__dirname, {
  type: JobEventType.JOB_QUEUED,
  wire: JobQueuedEvent,
  description: 'A background job was queued',
  label: 'Job queued',
  enabledByDefault: false,
  input: { job: { type: () => JobRefInput }, queuedBy: { type: () => PersonRefInput } },
  variables: { queuedBy: 'Who queued the job: their name, else their id (absent when the event does not say)' },
  view: (event, t) => ({ subject: t('subject'), heading: t('heading'), details: { queuedBy: event.queuedBy && (event.queuedBy.name ?? event.queuedBy.id) } }),
});
`,
    [`${FOLDER}.html.hbs`]: '{{#> layout}}<p>{{t "body"}}{{#if queuedBy}} {{t "by" queuedBy=queuedBy}}{{/if}}</p>{{/layout}}\n',
    [`${FOLDER}.text.hbs`]: '{{#> layout}}{{t "body"}}{{#if queuedBy}} {{t "by" queuedBy=queuedBy}}{{/if}}\n{{/layout}}\n',
    [`${FOLDER}.en.json`]: JSON.stringify({ typeLabel: 'Job queued', heading: 'Job queued', subject: '{kindTitle} queued', body: 'A job of <b>{application}</b> is queued.', by: 'Queued by <b>{queuedBy}</b>.' }, null, 2),
    [`${FOLDER}.fr.json`]: JSON.stringify({ typeLabel: 'Tâche en file', heading: 'Tâche en file', subject: '{kindTitle} en file', body: 'Une tâche de <b>{application}</b> est en file.', by: 'Mise en file par <b>{queuedBy}</b>.' }, null, 2),
    [`${FOLDER}.example.json`]: JSON.stringify({
      schemaVersion: 1, id: 'b6c1f0e2-8d4a-4c3b-9e7f-2a5d6c8b1e03', type: TYPE, occurredAt: '2026-11-24T08:30:00Z',
      application: { id: 'app-1', name: 'Billing' }, job: { id: 'job-9', kind: 'analysis' }, queuedBy: { id: 'ann', name: 'Ann' },
    }, null, 2),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
}

/** Step 3, the registration: imported in registry.ts, added to EVENT_TYPES. */
function register(tree: string): void {
  const path = join(tree, 'src', 'event-types', 'registry.ts');
  const text = readFileSync(path, 'utf8');
  const list = 'export const EVENT_TYPES: readonly EventTypeDefinition[] = [';
  if (!text.includes(list)) throw new Error('registry.ts no longer holds EVENT_TYPES as docs/templates.md says');
  writeFileSync(path, `import { jobQueued } from './${FOLDER}/${FOLDER}.type';\n${text.replace(list, `${list}jobQueued, `)}`);
}

/** The new type end to end: published through GraphQL, mailed to whom chose it only, in the delivery log. */
const END_TO_END = `import { Role } from '../src/auth/role.enum';
import { HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

describe('${TYPE}, a type just added', () => {
  it('is published, mailed to those who chose it (it is off by default) and logged', async () => {
    const sink = await new SmtpSink().start();
    const app = await HeraldTestApp.start({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(sink.port), SMTP_SECURITY: 'NONE', SMTP_AUTH: 'false', SMTP_SENDER: 'herald@example.com' });
    try {
      await seedApplication(app, { id: 'app-q', name: 'Queue' }, [{ id: 'ann' }, { id: 'bob' }]);
      await app.gql('mutation { setNotificationPreference(input: { eventType: ${TYPE}, enabled: true }) { id } }', {}, app.token(Role.USER, 'ann'));
      const input = { schemaVersion: 1, id: 'queued-1', type: '${TYPE}', occurredAt: '2026-11-24T09:00:00Z', application: { id: 'app-q', name: 'Queue' }, job: { id: 'j-1', kind: 'analysis' }, queuedBy: { id: 'cy', name: 'Cy' } };
      const published = await app.gql('mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }', { input }, app.token(Role.SERVICE, 'console'));
      expect(published.data).toEqual({ publishJobEvent: { deliveries: 1 } });
      await eventually(async () => expect(sink.received.map((m) => [m.to, m.parsed.subject])).toEqual([[['ann@example.com'], '[Queue] Analysis queued']]));
      expect(sink.received[0].parsed.text).toContain('Queued by Cy.');
      const log = await app.admin('{ deliveries(filter: { eventType: ${TYPE} }) { totalCount edges { node { recipientId status } } } }');
      await eventually(async () => expect((await app.admin('{ deliveries(filter: { eventType: ${TYPE} }) { edges { node { recipientId status } } } }')).deliveries.edges).toEqual([{ node: { recipientId: 'ann', status: 'SENT' } }]));
      expect(log.deliveries.totalCount).toBe(1);
      const bob = (await app.gql('{ me { preferences { eventType enabled source } } }', {}, app.token(Role.USER, 'bob'))).data.me.preferences;
      expect(bob.find((p: { eventType: string }) => p.eventType === '${TYPE}')).toEqual({ eventType: '${TYPE}', enabled: false, source: 'DEFAULT' });
    } finally {
      await app.close();
      await sink.stop();
    }
  });
});
`;

/** docs/templates.md's "Then npm run schema": the schema the copy generates, written where the schema test reads it. */
const WRITE_SCHEMA = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/herald-config';
import { printHeraldSchema } from '../src/print-schema';

it('writes schema.graphql', async () => {
  writeFileSync(join(__dirname, '..', 'schema.graphql'), await printHeraldSchema(loadConfig({ JWT_SECRET: 'x'.repeat(32), HERALD_SECRET_KEY: 'a'.repeat(64) }, '/nonexistent')));
});
`;

/** What failed in a Jest run's output: each failing test with the lines that say why. */
function failuresIn(output: string): string[] {
  const lines = output.split('\n').filter((line) => !/^\s+at /.test(line));
  return lines.flatMap((line, i) => (line.includes('●') ? lines.slice(i, i + 30) : [])).slice(0, 200);
}

function jest(tree: string, paths: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--runInBand', ...paths], {
    cwd: tree,
    env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', FORCE_COLOR: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe(`a new event type, added as docs/templates.md says (${DATABASE_KIND})`, () => {
  let tree: string;

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'herald-new-type-'));
    for (const part of ['src', 'libs', 'test', 'tsconfig.json', 'jest.config.js', 'package.json', 'schema.graphql']) {
      cpSync(join(ROOT, part), join(tree, part), { recursive: true, filter: (from) => !/[/\\](node_modules|dist)$/.test(from) });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    addToWireFormat(tree);
    addFolder(tree);
    register(tree);
    writeFileSync(join(tree, 'test', 'new-type-end-to-end.e2e-spec.ts'), END_TO_END);
    writeFileSync(join(tree, 'test', 'write-schema.e2e-spec.ts'), WRITE_SCHEMA);
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('passes the suites a type concerns, and runs end to end, with nothing else changed', () => {
    const schema = jest(tree, ['test/write-schema.e2e-spec.ts']);
    expect({ status: schema.status, output: schema.status === 0 ? '' : schema.output }).toEqual({ status: 0, output: '' });
    expect(readFileSync(join(tree, 'schema.graphql'), 'utf8')).toContain(`${TYPE}`);
    const suites = [
      'src/event-types', 'src/i18n', 'src/notifications/rendering', 'libs/contracts',
      'test/users.e2e-spec.ts', 'test/preferences.e2e-spec.ts', 'test/schema.e2e-spec.ts', 'test/new-type-end-to-end.e2e-spec.ts',
    ];
    const run = jest(tree, suites);
    expect({ status: run.status, failures: run.status === 0 ? [] : failuresIn(run.output) }).toEqual({ status: 0, failures: [] });
    expect(run.output).toMatch(/Tests:\s+\d+ passed/);
    // The first run writes the new type's mails as snapshots (docs: jest -u): its example, in English and French.
    expect(run.output).toMatch(/Snapshots:\s+2 written, \d+ passed/);
  }, 600_000);
});
