import { Role } from '../../src/auth/role.enum';
import type { HeraldTestApp } from './herald-test-app';

/** What the relay suites share (circuit, standby, pacing, Graph): the mutations, fast schedules, a relay on loopback, managers. */
export const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
export const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';

/**
 * Fast schedules: an outage is noticed, probed and over in well under a second;
 * many mails to the same people each arrive (the cap: test/mail-cap.e2e-spec.ts).
 */
export const FAST_RELAY = {
  DISPATCH_SWEEP_INTERVAL_MS: '50',
  DISPATCH_BACKOFF_BASE_MS: '20',
  DISPATCH_BACKOFF_MAX_MS: '50',
  RELAY_PROBE_MIN_MS: '50',
  RELAY_PROBE_MAX_MS: '200',
  MAIL_CAP_COUNT: '0',
};

/** updateSmtpSettings' input for a plain relay on 127.0.0.1:`port`. */
export const relayAt = (port: number, extra: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port, security: 'NONE', authEnabled: false, sender: 'herald@example.com', ...extra });

/** An event's deliveries as the relay suites read them (`event(id)`). */
export interface RelayDelivery {
  recipientEmail: string;
  status: string;
  attempts: number;
  lastReply: string | null;
  lastError: string | null;
}
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { recipientEmail status attempts lastReply lastError } } }';
export const deliveriesOf = async (app: HeraldTestApp, id: string): Promise<RelayDelivery[]> => (await app.admin(EVENT, { id })).event.deliveries;

/** `n` managers `<prefix>-0` … for seedApplication. */
export const people = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}` }));

let seq = 0;
/** Publishes a VERSION_CREATED of `applicationId` as the console would; answers its id. */
export async function publishVersion(app: HeraldTestApp, applicationId: string, prefix: string, occurredAt = '2026-12-06T09:00:00Z'): Promise<string> {
  const n = ++seq;
  const id = `${prefix}-${process.pid}-${n}`;
  const input = { schemaVersion: 1, id, type: 'VERSION_CREATED', occurredAt, application: { id: applicationId, name: 'Billing' }, version: { name: `v${n}` } };
  const res = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
  expect(res.errors).toBeUndefined();
  return id;
}
