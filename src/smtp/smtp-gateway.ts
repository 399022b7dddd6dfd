import { Injectable } from '@nestjs/common';
import { SecretDecryptionError } from '@herald/crypto';
import { isConfigured, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { type AlertRelay, FallbackRelay } from './fallback-relay';
import { LiveTransport, type Relay } from './live-transport';
import { RelayCheck } from './relay-check';
import { type RelayLogin, RelayLogins } from './relay-login';
import { SmtpCheckResult } from './smtp-check-result.model';
import { classifySmtpFailure, type SmtpFailure } from './smtp-failure';
import { StepLog } from './step-log';
import { SendTestEmailService } from './test-email/send-test-email.service';
import type { OAuth2TokenSource } from './oauth2/oauth2-token-source';
import { transportOptions } from './transport-options';

export { SmtpCheckResult, SmtpCheckStatus, SmtpCheckStep } from './smtp-check-result.model';
export type { SmtpFailure } from './smtp-failure';
export { StepLog } from './step-log';
export { type AccessToken, OAuth2TokenSource, TokenEndpointError } from './oauth2/oauth2-token-source';
export type { Relay, SentMail } from './live-transport';
export type { AlertRelay, FallbackMail } from './fallback-relay';
export { type RelayFailure, RelayState, RelayStateChangedEvent } from './relay-health/relay-state-changed.event';
export { RelayStatusModel } from './relay-health/relay-status.model';

/** Access tokens of the relay's OAuth2 client for one user: the same grant, another mailbox. */
export interface AccessTokens {
  /** A valid token (cached, refreshed before it expires); `renew`: a new one (the server refused the last). */
  token(renew?: boolean): Promise<string>;
  close(): void;
}

/**
 * The one way to the SMTP relay: whether there is one, the relay to send
 * through (the pooled live transport), what a failure means, and the
 * step-by-step check. The rest of Herald knows nothing of nodemailer.
 */
@Injectable()
export class SmtpGateway {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly transport: LiveTransport,
    private readonly logins: RelayLogins,
    private readonly fallback: FallbackRelay,
    private readonly testEmail: SendTestEmailService,
  ) {}

  /** Whether mail can be sent at all (a relay and a sender are set). */
  async isConfigured(): Promise<boolean> {
    return isConfigured(await this.settings.get());
  }

  /** The relay the next mails go through (its settings and `send`), or undefined while SMTP is not configured. */
  relay(): Promise<Relay | undefined> {
    return this.transport.relay();
  }

  /**
   * The fallback relay for the admins' outage mail (ALERT_SMTP_URL), or undefined
   * when none is configured. For that mail only: notifications always wait for the relay.
   */
  alertRelay(): AlertRelay | undefined {
    return this.fallback.get();
  }

  /** What a failed `send` (or check) is about: scope, transient or not, the step, the relay's reply. */
  classify(error: unknown): SmtpFailure {
    return classifySmtpFailure(error);
  }

  /**
   * Access tokens of the settings' OAuth2 client credentials for `scope` (Microsoft
   * Graph's), from the same token endpoint and credentials as XOAUTH2's: one token
   * source, cached and refreshed, to close when the settings change. Throws
   * SecretDecryptionError when this server's key cannot read the secret.
   */
  tokens(settings: SmtpSettings, scope: string): OAuth2TokenSource {
    return this.logins.tokens(settings, scope);
  }

  /** Sends the test mail to `to` through the live pool and reports the relay's answer, or the step it failed at. */
  sendTest(to: string): Promise<SmtpCheckResult> {
    return this.testEmail.send(to);
  }

  /**
   * Tokens of the relay's OAuth2 client (the settings' grant) for `username`: the
   * report mailbox signs in with XOAUTH2 through the same app registration or
   * service account; `scope` another resource's (Microsoft Graph's). Secrets are
   * decrypted here, as for the relay.
   */
  oauth2Tokens(settings: SmtpSettings, username: string, scope?: string): AccessTokens {
    const source = this.logins.tokenSource(scope ? { ...settings, oauth2Scope: scope } : settings, username);
    return { token: async (renew = false) => (await source.token({ renew })).value, close: () => source.close() };
  }

  /** Connects with these settings and reports each step up to AUTH; sends no mail. */
  async verify(settings: SmtpSettings): Promise<SmtpCheckResult> {
    let login: RelayLogin;
    try {
      login = this.logins.login(settings);
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      const log = new StepLog();
      log.unreadableSecret(error);
      return log.result();
    }
    try {
      return await new RelayCheck(transportOptions(settings, login.auth), login.tokens).run();
    } finally {
      login.close();
    }
  }
}
