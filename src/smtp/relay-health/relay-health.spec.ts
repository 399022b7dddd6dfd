import { EventEmitter2 } from '@nestjs/event-emitter';
import { QUEUE_STATS, type QueueStats } from '../../channels/queue-stats.port';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { Dispatcher } from '../../notifications/dispatch/dispatcher';
import { closedPort, SmtpSink } from '../../../test/support/smtp-sink';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { SmtpCheckStep } from '../smtp-check-result.model';
import type { SmtpFailure } from '../smtp-failure';
import { RelayHealth } from './relay-health';
import { RelayHealthEntity } from './relay-health.entity';
import { RelayState, RelayStateChangedEvent } from './relay-state-changed.event';

const PROBE_MIN_MS = 10_000;
const PROBE_MAX_MS = 40_000;

const refused: SmtpFailure = { scope: 'relay', transient: true, step: SmtpCheckStep.CONNECT, reply: null, description: 'ECONNECTION: connect ECONNREFUSED 127.0.0.1:1' };
const badPassword: SmtpFailure = { scope: 'relay', transient: false, step: SmtpCheckStep.AUTH, reply: '535 5.7.8 Authentication credentials invalid', description: 'EAUTH: Invalid login' };
const rate = '450 4.5.127 Message submission rate for this client has exceeded the configured limit';
const throttling: SmtpFailure = { scope: 'relay', transient: true, throttled: true, step: SmtpCheckStep.SEND, reply: rate, description: rate };

/**
 * The circuit breaker and pacing with the real table (SQLite), the real relay
 * check against a real SMTP server (or a closed port), and time moved by hand.
 */
describe('RelayHealth', () => {
  let core: NotificationsCore;
  let health: RelayHealth;
  let changes: RelayStateChangedEvent[];
  const row = () => core.dataSource.getRepository(RelayHealthEntity).findOneByOrFail({ id: 'relay' });
  /** New settings; resolves once the dispatcher has seen them (it resets the circuit on a change, and sends). */
  const relayAt = async (port: number, extra: object = {}) => {
    await core.get(SmtpSettingsService).update({ host: '127.0.0.1', port, security: 'NONE', authEnabled: false, sender: 'herald@example.com', ...extra } as never, { id: 'test', name: null });
    await eventually(async () => expect(core.get(Dispatcher).room(['email'])).toBeGreaterThan(0));
  };

  beforeEach(async () => {
    core = await NotificationsCore.start({
      RELAY_CIRCUIT_THRESHOLD: '3',
      RELAY_PROBE_MIN_MS: String(PROBE_MIN_MS),
      RELAY_PROBE_MAX_MS: String(PROBE_MAX_MS),
      DISPATCH_SWEEP_INTERVAL_MS: '3600000', // the test calls refresh() itself
    });
    health = core.get(RelayHealth);
    changes = [];
    core.get(EventEmitter2).on(RelayStateChangedEvent.NAME, (e: RelayStateChangedEvent) => changes.push(e));
  });
  afterEach(() => core.close());

  it('opens the circuit after a few relay-wide failures in a row, probes with growing backoff, and closes on a successful probe', async () => {
    const port = await closedPort();
    await relayAt(port);
    await health.refresh();
    await health.failed(refused);
    expect(health.holding()).toBeUndefined();
    expect((await health.status()).state).toBe(RelayState.DEGRADED);
    await health.failed(refused);
    await health.failed(refused);
    const opened = core.clock.now();
    expect(health.holding()?.reason).toMatch(/^waiting: the relay is down since .* \(CONNECT: ECONNECTION: connect ECONNREFUSED/);
    expect(changes.map((c) => [c.previous, c.state])).toEqual([[RelayState.OK, RelayState.DEGRADED], [RelayState.DEGRADED, RelayState.DOWN]]);
    expect(changes[1].lastFailure).toMatchObject({ step: SmtpCheckStep.CONNECT });

    // No probe before it is due; then one, failing: the next waits twice as long, up to the maximum.
    expect((await row()).nextProbeAt!.getTime()).toBe(opened + PROBE_MIN_MS);
    await health.refresh();
    expect((await row()).lastFailureAt!.getTime()).toBe(opened);
    const probes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = (await row()).nextProbeAt!.getTime();
      core.clock.advance(next - core.clock.now());
      await health.refresh();
      probes.push((await row()).nextProbeAt!.getTime() - core.clock.now());
    }
    expect(probes).toEqual([2 * PROBE_MIN_MS, 4 * PROBE_MIN_MS, PROBE_MAX_MS, PROBE_MAX_MS]);
    expect((await health.status()).lastFailure).toMatchObject({ step: SmtpCheckStep.CONNECT });
    expect(health.holding()).toBeDefined();

    // The relay is back: the next probe closes the circuit.
    const sink = await new SmtpSink().start(port);
    try {
      core.clock.advance(PROBE_MAX_MS);
      await health.refresh();
      expect(health.holding()).toBeUndefined();
      expect(await health.status()).toMatchObject({ state: RelayState.OK, lastSuccessAt: core.clock.date() });
      expect(changes.at(-1)).toMatchObject({ previous: RelayState.DOWN, state: RelayState.OK });
      expect(sink.received).toHaveLength(0); // a probe sends no mail
    } finally {
      await sink.stop();
    }
  });

  it('opens at once on a refused credential, and probes at once when the settings change', async () => {
    const sink = await new SmtpSink({ auth: { user: 'herald', pass: 'right' } }).start();
    try {
      await relayAt(sink.port, { authEnabled: true, username: 'herald', password: 'wrong' });
      await health.refresh();
      await health.failed(badPassword);
      expect(await health.status()).toMatchObject({ state: RelayState.DOWN, lastFailure: { step: SmtpCheckStep.AUTH, reply: badPassword.reply } });
      expect(changes.map((c) => c.state)).toEqual([RelayState.DOWN]);

      // The dispatcher hears of the change: the relay is probed at once (no clock move), and closes.
      await core.get(SmtpSettingsService).update({ password: 'right' }, { id: 'test', name: null });
      await eventually(async () => expect((await health.status()).state).toBe(RelayState.OK));
      expect(sink.logins.at(-1)).toMatchObject({ user: 'herald', accepted: true });
    } finally {
      await sink.stop();
    }
  });

  it('a DEGRADED written just before a DOWN is never heard after it: the listeners end on DOWN', async () => {
    await relayAt(25);
    await health.refresh();
    // The first announcement's count of waiting mails is slow (a busy database): the DOWN's would be told first.
    const stats = core.get(QUEUE_STATS as never) as QueueStats;
    const count = stats.waiting.bind(stats);
    jest.spyOn(stats, 'waiting').mockImplementationOnce(async (channel) => (await new Promise((r) => setTimeout(r, 200)), count(channel)));
    // Two mails fail one just after the other: a relay-wide failure (DEGRADED), then a refused login (DOWN at once).
    const degraded = health.failed(refused);
    await eventually(async () => expect((await row()).state).toBe(RelayState.DEGRADED));
    await health.failed(badPassword);
    await degraded;
    expect((await health.status()).state).toBe(RelayState.DOWN);
    expect(changes.at(-1)).toMatchObject({ state: RelayState.DOWN });
    expect(changes.map((c) => c.state)).not.toContain(RelayState.OK);
  });

  it("hears another process's changes in the shared row: its DOWN, and its probe closing the outage this process opened", async () => {
    await relayAt(25);
    await health.refresh();
    const rows = core.dataSource.getRepository(RelayHealthEntity);
    const later = new Date(core.clock.now() + 3_600_000); // no probe falls due here
    // Another process opens the circuit: this one's listeners hear it, as not its own.
    await rows.update({ id: 'relay' }, { state: RelayState.DOWN, since: core.clock.date(), nextProbeAt: later });
    await health.refresh();
    expect(changes.map((c) => [c.previous, c.state, c.byThisProcess])).toEqual([[RelayState.OK, RelayState.DOWN, false]]);
    await health.refresh();
    expect(changes).toHaveLength(1); // told once

    // This process opens it (after the other closed it); the other's probe closes it: heard here.
    await rows.update({ id: 'relay' }, { state: RelayState.OK });
    await health.refresh();
    await health.failed(badPassword);
    expect(changes.at(-1)).toMatchObject({ state: RelayState.DOWN, byThisProcess: true });
    await rows.update({ id: 'relay' }, { state: RelayState.OK, since: core.clock.date(), nextProbeAt: null });
    await health.refresh();
    expect(changes.at(-1)).toMatchObject({ previous: RelayState.DOWN, state: RelayState.OK, byThisProcess: false });
  });

  it('a success ends a run of failures: the circuit stays closed', async () => {
    await relayAt(25);
    await health.refresh();
    for (let i = 0; i < 5; i++) {
      await health.failed(refused);
      await health.failed(refused);
      await health.succeeded();
    }
    expect(await health.status()).toMatchObject({ state: RelayState.OK });
    expect(health.holding()).toBeUndefined();
  });

  it('halves the rate every sender keeps when the relay asks to slow down (once for the mails already under way), and grows it back while replies are clean', async () => {
    await relayAt(25);
    await health.refresh();
    // 20 mails went out in the last 20 s: the pace the relay refuses.
    for (let i = 0; i < 20; i++) {
      await health.succeeded();
      core.clock.advance(1_000);
    }
    const hold = await health.throttled(throttling, core.clock.now() - 500);
    expect(hold.reason).toMatch(/^paced: the relay asks to slow down \(450 4\.5\.127 .*\): 10 messages a minute from now; next at /);
    // Replies about mails sent before the halving (under way at once) halve nothing more; a mail sent after it does.
    await health.throttled(throttling, core.clock.now() - 100);
    expect((await health.status()).pacedRate).toBe(10);
    core.clock.advance(2_000);
    await health.throttled(throttling, core.clock.now());
    expect(await health.status()).toMatchObject({ state: RelayState.DEGRADED, pacedRate: 5 });
    expect(changes.map((c) => c.state)).toEqual([RelayState.DEGRADED]);

    // The 20 sent are in the window: nothing more goes until 15 of them have left it (5 a minute).
    core.clock.advance(1_000);
    await health.refresh();
    const settings = await core.get(SmtpSettingsService).get();
    const paced = await health.reserve(settings);
    expect(paced?.reason).toMatch(/^paced: relay slowed down to 5 messages a minute after it asked to \(450 4\.5\.127 .*\); next at /);

    // Each clean window of a minute (63 s) grows it by a quarter, up to the pace it refused (20): then no limit is left.
    const rates: Array<number | null> = [];
    for (let i = 0; i < 6; i++) {
      core.clock.advance(63_000);
      await health.refresh();
      rates.push((await health.status()).pacedRate);
    }
    expect(rates).toEqual([7, 9, 12, 15, 19, null]);
    expect(await health.reserve(settings)).toBeUndefined();
    expect((await health.status()).state).toBe(RelayState.OK);
  });

  it('a slowdown with Retry-After (Graph 429): pauses that long, halves the rate, and keeps it while the window has room', async () => {
    await relayAt(25);
    await health.refresh();
    const hold = await health.throttled({ ...throttling, retryAfterMs: 2_000 }, core.clock.now());
    expect(hold.until!.getTime() - core.clock.now()).toBe(2_000);
    expect((await health.status()).pacedRate).toBe(1);
    core.clock.advance(2_000);
    await health.refresh();
    expect((await health.status()).pacedRate).toBe(1);
    expect(await health.reserve(await core.get(SmtpSettingsService).get())).toBeUndefined();
  });

  it("paces to the relay quota: until the rolling minute has room, with the reason", async () => {
    await relayAt(25, { quotaMessagesPerMinute: 2 });
    await health.refresh();
    const settings = await core.get(SmtpSettingsService).get();
    expect(await health.reserve(settings)).toBeUndefined();
    expect(await health.reserve(settings)).toBeUndefined();
    const paced = await health.reserve(settings);
    // A rolling minute (and 3 s of margin) from the second the first two went in.
    const windowEnd = new Date((Math.floor(core.clock.now() / 1_000) + 1) * 1_000 + 63_000);
    // How many wait with it is told once they wait (waitingChanged, test/relay-circuit.e2e-spec.ts).
    expect(paced).toEqual({ until: windowEnd, reason: `paced: relay quota 2 messages a minute; next at ${windowEnd.toISOString()}` });
    expect(await health.status()).toMatchObject({ state: RelayState.DEGRADED, pacedUntil: windowEnd });
  });
});
