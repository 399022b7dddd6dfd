import { Role } from '../../src/auth/role.enum';
import { HeraldTestApp } from './herald-test-app';
import { eventually, seedApplication } from './people';
import type { ReceivedMail, SmtpSink } from './smtp-sink';

/** Where the suites that follow a mail's signed links say Herald is reached (HERALD_PUBLIC_URL). */
export const PUBLIC_URL = 'https://herald.example.com';

export interface MailLinks {
  /** The preferences page, as the mail gives it (on PUBLIC_URL). */
  page: string;
  /** The one-click unsubscribe address of the List-Unsubscribe header (on PUBLIC_URL). */
  oneClick: string;
  /** The page link's signed token. */
  token: string;
}

/** The signed links of a mail: the preferences link of its text part, the one-click address of its header. */
export function linksOf(mail: ReceivedMail): MailLinks {
  const page = /(https:\/\/herald\.example\.com\/preferences\?t=[A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')?.[1];
  const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const oneClick = /^List-Unsubscribe: <([^>]+)>$/m.exec(headers)?.[1];
  if (!page || !oneClick) throw new Error(`the mail has no ${page ? 'one-click address' : 'preferences link'}`);
  return { page, oneClick, token: new URL(page).searchParams.get('t')! };
}

/**
 * A Herald on PUBLIC_URL whose relay is `sink` (set by an admin through GraphQL), with
 * Billing managed by ann and bob: what a person follows a mail's links on.
 */
export async function startForLinks(sink: SmtpSink, env: Record<string, string> = {}): Promise<HeraldTestApp> {
  const app = await HeraldTestApp.start({ HERALD_PUBLIC_URL: PUBLIC_URL, DISPATCH_SWEEP_INTERVAL_MS: '100', ...env });
  await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
    input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' },
  });
  await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }, { id: 'bob' }]);
  return app;
}

/** Publishes a failure of Billing with this event id; answers the mail of it that reaches `address`, once there. */
export async function failureMailTo(app: HeraldTestApp, sink: SmtpSink, eventId: string, address: string): Promise<ReceivedMail> {
  const event = {
    schemaVersion: 1,
    id: eventId,
    type: 'JOB_FAILED',
    occurredAt: '2026-11-24T09:10:00Z',
    application: { id: 'billing', name: 'Billing' },
    job: { id: 'job-1', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' },
    error: { message: 'Out of memory' },
  };
  const res = await app.gql('mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }', { input: event }, app.token(Role.SERVICE, 'console'));
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return eventually(async () => {
    const got = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === eventId && m.to[0] === address);
    expect(got).toBeDefined();
    return got!;
  });
}
