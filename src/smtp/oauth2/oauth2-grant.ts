import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import type { ServiceAccountKey } from '../../settings/smtp-settings/service-account-key';

/**
 * How Herald obtains an access token for XOAUTH2, one per authentication method
 * (RFC 6749 client credentials, RFC 7523 JWT bearer, RFC 6749 refresh token).
 * Secrets here are plain: the gateway decrypts them from the settings just before
 * building a grant, and a grant never leaves the gateway.
 */
export type OAuth2Grant = ClientCredentialsGrant | ServiceAccountGrant | RefreshTokenGrant;

/** Microsoft 365 (Entra ID): the app's own identity, with a secret or a certificate. */
export interface ClientCredentialsGrant {
  kind: 'client-credentials';
  tokenUrl: string;
  clientId: string;
  scope: string;
  clientSecret?: string;
  /** Instead of a secret: the certificate registered with the app and its private key (PEM). */
  certificate?: { certificatePem: string; privateKeyPem: string };
}

/** Google Workspace: a service account with domain-wide delegation, impersonating `subject`. */
export interface ServiceAccountGrant {
  kind: 'service-account';
  tokenUrl: string;
  clientEmail: string;
  privateKeyPem: string;
  scope: string;
  subject: string;
}

/** Any provider: a long-lived refresh token issued to a client. */
export interface RefreshTokenGrant {
  kind: 'refresh-token';
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  refreshToken: string;
  scope?: string;
}

export const MICROSOFT_SCOPE = 'https://outlook.office365.com/.default';
export const GOOGLE_SCOPE = 'https://mail.google.com/';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** Entra ID's v2.0 token endpoint of a tenant (the public cloud; national clouds set the URL). */
export function microsoftTokenUrl(tenantId: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

const jwt = new JwtService();
const ASSERTION_LIFETIME_S = 300;

/** The form fields of the token request for a grant (signing any assertion now). */
export async function tokenRequestBody(grant: OAuth2Grant, nowMs: number): Promise<URLSearchParams> {
  const now = Math.floor(nowMs / 1000);
  switch (grant.kind) {
    case 'client-credentials': {
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: grant.clientId, scope: grant.scope });
      if (grant.certificate) {
        // RFC 7523 client assertion, as Entra ID takes it: x5t#S256 names the certificate.
        const assertion = await jwt.signAsync(
          { aud: grant.tokenUrl, iss: grant.clientId, sub: grant.clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + ASSERTION_LIFETIME_S },
          { privateKey: grant.certificate.privateKeyPem, algorithm: 'RS256', header: { alg: 'RS256', typ: 'JWT', 'x5t#S256': thumbprint(grant.certificate.certificatePem) } as never },
        );
        body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        body.set('client_assertion', assertion);
      } else {
        body.set('client_secret', grant.clientSecret ?? '');
      }
      return body;
    }
    case 'service-account': {
      const assertion = await jwt.signAsync(
        { iss: grant.clientEmail, sub: grant.subject, scope: grant.scope, aud: grant.tokenUrl, iat: now, exp: now + ASSERTION_LIFETIME_S },
        { privateKey: grant.privateKeyPem, algorithm: 'RS256' },
      );
      return new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
    }
    case 'refresh-token': {
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: grant.refreshToken, client_id: grant.clientId });
      if (grant.clientSecret) body.set('client_secret', grant.clientSecret);
      if (grant.scope) body.set('scope', grant.scope);
      return body;
    }
  }
}

/** base64url SHA-256 of the certificate's DER encoding (the JWS `x5t#S256` header). */
function thumbprint(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url');
}

/** What the settings hold for OAuth2, secrets decrypted (SmtpSettingsService.oauth2Secrets). */
export interface OAuth2Settings {
  method: 'OAUTH2_CLIENT_CREDENTIALS' | 'OAUTH2_SERVICE_ACCOUNT' | 'OAUTH2_REFRESH_TOKEN';
  username: string;
  tenantId: string | null;
  clientId: string | null;
  tokenUrl: string | null;
  scope: string | null;
  certificate: string | null;
  secrets: { clientSecret: string | null; privateKey: string | null; serviceAccountKey: ServiceAccountKey | null; refreshToken: string | null };
}

/** The grant the settings describe, with the provider's endpoint and scope unless the admin set others. */
export function grantOf(s: OAuth2Settings): OAuth2Grant {
  switch (s.method) {
    case 'OAUTH2_CLIENT_CREDENTIALS':
      return {
        kind: 'client-credentials',
        tokenUrl: s.tokenUrl ?? microsoftTokenUrl(s.tenantId ?? ''),
        clientId: s.clientId ?? '',
        scope: s.scope ?? MICROSOFT_SCOPE,
        clientSecret: s.secrets.clientSecret ?? undefined,
        certificate: !s.secrets.clientSecret && s.certificate && s.secrets.privateKey ? { certificatePem: s.certificate, privateKeyPem: s.secrets.privateKey } : undefined,
      };
    case 'OAUTH2_SERVICE_ACCOUNT': {
      const key = s.secrets.serviceAccountKey;
      return {
        kind: 'service-account',
        tokenUrl: s.tokenUrl ?? key?.tokenUrl ?? GOOGLE_TOKEN_URL,
        clientEmail: key?.clientEmail ?? '',
        privateKeyPem: key?.privateKeyPem ?? '',
        scope: s.scope ?? GOOGLE_SCOPE,
        subject: s.username,
      };
    }
    case 'OAUTH2_REFRESH_TOKEN':
      return {
        kind: 'refresh-token',
        tokenUrl: s.tokenUrl ?? '',
        clientId: s.clientId ?? '',
        clientSecret: s.secrets.clientSecret ?? undefined,
        refreshToken: s.secrets.refreshToken ?? '',
        scope: s.scope ?? undefined,
      };
  }
}
