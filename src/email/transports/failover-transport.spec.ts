import { RelayRole } from '../../settings/standby-settings/relay-role';
import type { MailHold, MailRoute, MailTransport, TransportFailure } from '../mail-transport.port';
import { FailoverTransport } from './failover-transport';
import type { SelectedTransport } from './selected-transport';
import type { StandbyTransport } from './standby/standby-transport';

/** One way out, as the test sets it: configured or not, its hold; it records what it is told. */
class Way implements Partial<MailTransport> {
  readonly told: string[] = [];
  configured = true;
  hold?: MailHold;
  readonly route_: MailRoute;

  constructor(readonly name: string) {
    this.route_ = { name: `${name}.example.com:25`, sender: `herald@${name}.example.com`, gatewayUri: null };
  }
  async isConfigured() {
    return this.configured;
  }
  async refresh() {
    this.told.push('refresh');
  }
  holding() {
    return this.hold;
  }
  async route() {
    return this.route_;
  }
  async send(): Promise<string> {
    throw Object.assign(new Error(`${this.name} refused`), { transient: true });
  }
  classify(error: unknown): TransportFailure {
    return { scope: 'transport', transient: true, step: 'CONNECT', reply: null, description: (error as Error).message };
  }
  async succeeded() {
    this.told.push('succeeded');
  }
  async failed(failure: TransportFailure) {
    this.told.push(`failed: ${failure.description}`);
  }
  async verify() {
    this.told.push('verify');
    return { ok: true } as never;
  }
  async sendTest(to: string) {
    this.told.push(`sendTest ${to}`);
    return { ok: true } as never;
  }
}

const DOWN: MailHold = { reason: 'waiting: the relay is down since 2026-12-06T09:00:00.000Z (CONNECT: refused)' };
const PACED: MailHold = { reason: 'paced: relay quota 30 messages a minute', until: new Date(Date.UTC(2026, 11, 6, 9, 1)) };

describe('FailoverTransport: the primary, or the standby relay while the primary is down', () => {
  let primary: Way;
  let standby: Way;
  let failover: FailoverTransport;
  beforeEach(async () => {
    primary = new Way('primary');
    standby = new Way('standby');
    failover = new FailoverTransport(primary as unknown as SelectedTransport, { transport: standby as unknown as MailTransport } as StandbyTransport);
    await failover.refresh();
  });

  it('the primary up: mail takes it', async () => {
    const route = await failover.route();
    expect(route).toBe(primary.route_);
    expect(failover.sentVia(route!)).toBe('primary: primary.example.com:25');
    await failover.succeeded(route!);
    expect([primary.told, standby.told]).toEqual([['refresh', 'succeeded'], ['refresh']]);
  });

  it('the primary down: nothing held, mail takes the standby, and its outcomes go to the standby; the primary back: mail takes it again', async () => {
    primary.hold = DOWN;
    expect(failover.holding()).toBeUndefined();
    const route = await failover.route();
    expect(failover.sentVia(route!)).toBe('standby: standby.example.com:25');
    const error = await failover.send(route!, { envelope: { from: 'a@example.com', to: ['b@example.com'] }, raw: Buffer.from('x') }).catch((e: unknown) => e);
    await failover.failed(failover.classify(error));
    expect(standby.told).toContain('failed: standby refused');
    expect(primary.told).toEqual(['refresh']);

    primary.hold = undefined;
    expect(failover.sentVia((await failover.route())!)).toBe('primary: primary.example.com:25');
  });

  it('the primary paced (its quota, a slow down) is no outage: mail waits for it', async () => {
    primary.hold = PACED;
    expect(failover.holding()).toBe(PACED);
    expect(await failover.route()).toBe(primary.route_);
  });

  it('both down: held, with both reasons; the standby paced: held until its pacing ends', () => {
    primary.hold = DOWN;
    standby.hold = { reason: 'waiting: the relay is down since 2026-12-06T09:05:00.000Z (AUTH: 535)' };
    expect(failover.holding()).toEqual({ reason: `waiting: the relay is down since 2026-12-06T09:05:00.000Z (AUTH: 535) (the standby relay; the primary: ${DOWN.reason})` });
    standby.hold = PACED;
    expect(failover.holding()).toMatchObject({ until: PACED.until });
  });

  it('no standby: the primary down holds every mail, exactly as without one', async () => {
    standby.configured = false;
    await failover.refresh();
    primary.hold = DOWN;
    expect(failover.holding()).toBe(DOWN);
    expect(await failover.route()).toBe(primary.route_);
    expect(standby.told).toEqual(['refresh']); // refreshed only while it was set
  });

  it('checks and test mails go to the relay asked for (the primary by default)', async () => {
    await failover.verify({} as never);
    await failover.sendTest('ops@example.com', RelayRole.STANDBY);
    expect(primary.told).toContain('verify');
    expect(standby.told).toContain('sendTest ops@example.com');
  });
});
