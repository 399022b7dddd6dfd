import { createHmac } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { HeraldConfig } from '../../config/herald-config';

/** The header that signs the webhook's body: `sha256=<hex HMAC-SHA256 of the body with ALERT_WEBHOOK_SECRET>`. */
export const SIGNATURE_HEADER = 'X-Herald-Signature';
const TIMEOUT_MS = 10_000;

/** The body of a webhook call. */
export interface RelayAlert {
  /** relay.down: the circuit opened; relay.up: it closed. */
  event: 'relay.down' | 'relay.up';
  state: string;
  previous: string;
  since: string;
  lastFailure: { step: string; reply: string | null; description: string; at: string } | null;
  waiting: number;
  /** relay.up: how long the relay was down, in seconds. */
  downForSeconds?: number;
}

/** Addresses were suspended after bounces (src/bounces): one call per summary, never an address (suspendedAddresses has them). */
export interface SuspensionsAlert {
  event: 'addresses.suspended';
  /** How many addresses this summary is about. */
  count: number;
  /** How many of them by the status that suspended them, e.g. { "5.1.1": 2 }. */
  statuses: Record<string, number>;
  at: string;
}

/**
 * POSTs relay alerts (and the summary of suspended addresses) to ALERT_WEBHOOK_URL, so that an on-call tool hears of an
 * outage while SMTP itself is down. Signed so the receiver can tell Herald's calls
 * from anyone's. One try per alert: a webhook that is down is logged, not retried
 * (the next change sends the next alert). The URL is not logged (it may hold a token).
 */
@Injectable()
export class AlertWebhook {
  private readonly logger = new Logger('Alerts');

  constructor(private readonly config: HeraldConfig) {}

  async post(alert: RelayAlert | SuspensionsAlert): Promise<void> {
    const webhook = this.config.alerts.webhook;
    if (!webhook) return;
    const body = JSON.stringify(alert);
    const signature = `sha256=${createHmac('sha256', webhook.secret).update(body).digest('hex')}`;
    try {
      const res = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!res.ok) this.logger.warn(`the alert webhook answered HTTP ${res.status} to ${alert.event}`);
    } catch (error) {
      this.logger.warn(`the alert webhook could not be reached for ${alert.event}: ${(error as Error).name}`);
    }
  }
}
