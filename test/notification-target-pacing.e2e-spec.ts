import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { WEBHOOK_TEST_ENV, WebhookReceiver } from './support/webhook-receiver';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { channel status attempts lastError } } }';
const ADD = 'mutation($input: AddNotificationTargetInput!) { addNotificationTarget(input: $input) { id } }';
const START = Date.UTC(2026, 10, 24, 9, 0);

/**
 * A target's pace is shared by every Herald process (the target's row): on
 * PostgreSQL two apps share the database (and a ManualClock, so that "within the
 * interval" holds however slow the machine), each posting what it planned, and
 * the second post to one Slack webhook (one a second) waits for the first's
 * interval instead of going beside it. On SQLite one app does both.
 */
describe(`notification targets: pacing shared by processes (${DATABASE_KIND})`, () => {
  const apps: HeraldTestApp[] = [];
  const clock = new ManualClock(START);
  let receiver: WebhookReceiver;
  let seq = 0;
  const env = { ...WEBHOOK_TEST_ENV, DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' };
  const publish = async (app: HeraldTestApp) => {
    const at = new Date(START - 60_000).toISOString();
    const input = { schemaVersion: 1, id: `pace-${process.pid}-${++seq}`, type: 'JOB_SUCCEEDED', occurredAt: at, application: { id: 'paced', name: 'Paced' }, job: { id: `job-${seq}`, kind: 'analysis', startedAt: at, endedAt: at } };
    const { errors } = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    if (errors) throw new Error(JSON.stringify(errors));
    return input.id;
  };
  const slackOf = async (app: HeraldTestApp, id: string) => ((await app.admin(EVENT, { id })).event.deliveries as Array<Record<string, any>>).find((d) => d.channel === 'slack')!;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    const first = await HeraldTestApp.start(env, undefined, { clock });
    apps.push(first);
    await seedApplication(first, { id: 'paced', name: 'Paced' }, []);
    await first.admin(ADD, { input: { applicationId: 'paced', kind: 'SLACK', name: '#paced', url: receiver.url('/paced/hook'), types: ['JOB_SUCCEEDED'] } });
    if (TEST_DATABASE_URL) apps.push(await HeraldTestApp.start(env, first.storage, { clock }));
  });
  afterAll(async () => {
    for (const app of apps.slice(1).reverse()) await app.close({ keepData: true });
    await apps[0]?.close();
    await receiver?.stop();
  });

  it("makes a second process's post to the same Slack webhook wait for the first's interval, spending no attempt", async () => {
    const [a, b = a] = apps;
    // The first app plans and posts its event (its planner hands its deliveries to its own dispatcher).
    const first = await publish(a);
    await eventually(async () => expect(await slackOf(a, first)).toMatchObject({ status: 'SENT', attempts: 1 }));
    expect(receiver.to('/paced/hook')).toHaveLength(1);
    // The other app's post, within the second after it: it waits, though that process never posted there.
    const second = await publish(b);
    await eventually(async () => expect(await slackOf(b, second)).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/^waiting: 127\.0\.0\.2 is paced; next post after 2026-11-24T09:00:01/) }));
    expect(receiver.to('/paced/hook')).toHaveLength(1);
    // Its interval over, it goes.
    clock.advance(1000);
    await eventually(async () => expect(await slackOf(b, second)).toMatchObject({ status: 'SENT', attempts: 1 }));
    expect(receiver.to('/paced/hook')).toHaveLength(2);
  });
});
