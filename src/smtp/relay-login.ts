import { Injectable, Optional } from '@nestjs/common';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { Clock } from '../clock/clock';
import { HeraldMetrics } from '../metrics/herald-metrics';
import { parseServiceAccountKey } from '../settings/smtp-settings/service-account-key';
import { isOAuth2, SmtpAuthMethod, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { grantOf, type OAuth2Settings } from './oauth2/oauth2-grant';
import { OAuth2TokenSource } from './oauth2/oauth2-token-source';

/**
 * How one transport signs in: nodemailer's `auth` option, and for OAuth2 the token
 * source behind it (shared by the pool's connections; closed with the transport).
 */
export interface RelayLogin {
  auth: SMTPTransport.Options['auth'] | undefined;
  tokens?: OAuth2TokenSource;
  close(): void;
}

/**
 * Turns the settings' authentication method into a login: user and password, or
 * XOAUTH2 with tokens from the configured grant (nodemailer builds the SASL string
 * and asks the token source again, with `renew`, when the relay refuses a token).
 * Secrets are decrypted here and nowhere else; a SecretDecryptionError means this
 * server's key cannot read one.
 */
@Injectable()
export class RelayLogins {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly clock: Clock,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  login(settings: SmtpSettings): RelayLogin {
    const none: RelayLogin = { auth: undefined, close: () => undefined };
    if (settings.authMethod === SmtpAuthMethod.NONE || !settings.username) return none;
    if (!isOAuth2(settings.authMethod)) return { ...none, auth: { user: settings.username, pass: this.settings.password(settings) ?? '' } };
    const tokens = new OAuth2TokenSource(grantOf(this.oauth2Settings(settings)), {
      now: () => this.clock.now(),
      timeoutMs: settings.connectionTimeoutMs,
      onRequest: (outcome) => this.metrics?.tokenRequested(outcome.ok),
    });
    return {
      auth: { type: 'OAuth2', user: settings.username, provisionCallback: tokens.provisionCallback } as SMTPTransport.Options['auth'],
      tokens,
      close: () => tokens.close(),
    };
  }

  /**
   * Tokens of the settings' client credentials (the Entra app) for another scope than
   * the SMTP relay's: Microsoft Graph's `<endpoint>/.default`. Close it when done.
   */
  tokens(settings: SmtpSettings, scope: string): OAuth2TokenSource {
    const grant = grantOf({ ...this.oauth2Settings(settings), method: SmtpAuthMethod.OAUTH2_CLIENT_CREDENTIALS, scope });
    return new OAuth2TokenSource(grant, { timeoutMs: settings.connectionTimeoutMs, now: () => this.clock.now(), onRequest: (outcome) => this.metrics?.tokenRequested(outcome.ok) });
  }

  /**
   * Tokens of the relay's OAuth2 grant for another mailbox user (`username`: the
   * subject a service account impersonates): the report mailbox reads with the
   * relay's client. Close it when done.
   */
  tokenSource(settings: SmtpSettings, username: string): OAuth2TokenSource {
    return new OAuth2TokenSource(grantOf(this.oauth2Settings({ ...settings, username })), {
      now: () => this.clock.now(),
      timeoutMs: settings.connectionTimeoutMs,
      onRequest: (outcome) => this.metrics?.tokenRequested(outcome.ok),
    });
  }

  private oauth2Settings(settings: SmtpSettings): OAuth2Settings {
    const secrets = this.settings.oauth2Secrets(settings);
    return {
      method: settings.authMethod as OAuth2Settings['method'],
      username: settings.username ?? '',
      tenantId: settings.oauth2TenantId,
      clientId: settings.oauth2ClientId,
      tokenUrl: settings.oauth2TokenUrl,
      scope: settings.oauth2Scope,
      certificate: settings.oauth2Certificate,
      secrets: { ...secrets, serviceAccountKey: secrets.serviceAccountKey ? parseServiceAccountKey(secrets.serviceAccountKey) : null },
    };
  }
}
