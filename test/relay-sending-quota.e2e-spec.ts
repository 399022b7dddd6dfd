import { ManualClock } from '../src/clock/manual-clock';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { deliveriesOf, FAST_RELAY, people, publishVersion, relayAt, UPDATE_SMTP } from './support/relay-suite';
import { SmtpSink } from './support/smtp-sink';

const STATUS = 'query { relayStatus { state lastFailure { step reply description } deliveriesWaiting } }';
const QUOTA_REPLY = { code: 550, message: '5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 - gsmtp' };
const MINUTE_MS = 60_000;

/**
 * A relay whose daily sending quota is used up answers every mail with a 5xx
 * (Gmail's `550 5.4.5 Daily user sending limit exceeded`), at MAIL FROM or after
 * DATA. That is the relay's state, not each message's: its circuit opens at once,
 * the mails wait without spending attempts (none ends FAILED), relayStatus shows
 * the reply, the relay is tried again an hour later — not at every probe, which
 * signs in without sending and would pass — and the mails go out once it takes mail again.
 */
describe.each(['MAIL FROM', 'DATA'] as const)(`a relay whose daily sending quota is used up, refusing at %s (${DATABASE_KIND})`, (at) => {
  let sink: SmtpSink;
  let app: HeraldTestApp;
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 9));
  const refused = () => (at === 'MAIL FROM' ? sink.mailFromRefused : sink.dataRefused);
  /** A minute later: one sweep (and a probe, when due). */
  const minuteLater = async () => {
    clock.advance(MINUTE_MS);
    await new Promise((r) => setTimeout(r, 100));
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    if (at === 'MAIL FROM') sink.failMailFromWith = QUOTA_REPLY;
    else sink.failDataWith = QUOTA_REPLY;
    // The dispatcher sweeps (and the circuit is probed) every minute of the ManualClock, which the test moves a minute at a time.
    app = await HeraldTestApp.start({ ...FAST_RELAY, DISPATCH_SWEEP_INTERVAL_MS: String(MINUTE_MS), DISPATCH_MAX_ATTEMPTS: '2' }, undefined, { clock });
    await app.admin(UPDATE_SMTP, { input: relayAt(sink.port) });
    await seedApplication(app, { id: 'app-quota', name: 'Billing' }, people('q', 3));
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('holds every mail without spending attempts, shows the reply, and sends them all once the relay takes mail again', async () => {
    const ids = [await publishVersion(app, 'app-quota', 'quota'), await publishVersion(app, 'app-quota', 'quota')];
    for (const id of ids) {
      await eventually(async () => {
        for (const d of await deliveriesOf(app, id)) {
          expect(d).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/the relay is down since .* \(SEND: 550 5\.4\.5 Daily user sending limit exceeded/) });
        }
      });
    }
    expect((await app.admin(STATUS)).relayStatus).toEqual({
      state: 'DOWN',
      lastFailure: { step: 'SEND', reply: expect.stringMatching(/^550 5\.4\.5 Daily user sending limit exceeded/), description: expect.stringContaining('quotaRecipientsPerDay') },
      deliveriesWaiting: 6,
    });

    // 59 minutes of sweeps, each past the retry schedule (2 attempts, 20–50 ms) and the probes' usual backoff (50–200 ms):
    // nothing FAILED, nothing spent, and the relay was not asked again (a probe signs in without sending and would pass,
    // closing the circuit: the next mail would go into the quota, and so on at every probe).
    const refusals = refused();
    for (let minute = 1; minute < 60; minute++) await minuteLater();
    for (const id of ids) for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0 });
    expect(refused()).toBe(refusals);
    expect(sink.received).toHaveLength(0);

    // The quota is back; an hour after the refusal the relay is tried again, and every mail goes out once.
    sink.failMailFromWith = undefined;
    sink.failDataWith = undefined;
    await eventually(async () => {
      try {
        expect(sink.received).toHaveLength(6);
        for (const id of ids) for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
      } catch (error) {
        await minuteLater();
        throw error;
      }
    }, 30_000);
    expect(clock.now() - Date.UTC(2026, 11, 7, 9)).toBeLessThan(75 * MINUTE_MS);
    expect(sink.received).toHaveLength(6);
    expect((await app.admin(STATUS)).relayStatus.state).toBe('OK');
  });
});
