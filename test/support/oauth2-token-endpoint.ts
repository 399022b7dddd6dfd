import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JwtService } from '@nestjs/jwt';
import { LoopbackHttpServer } from './loopback-http-server';

/**
 * A local OAuth2 token endpoint (the one part of the OAuth2 tests that cannot
 * run here for real): it knows some clients, service accounts and refresh tokens,
 * checks each grant as Entra ID and Google do (secret, or the signature and claims
 * of a JWT assertion), and issues expiring bearer tokens that the test's SMTP
 * server then accepts through `isValid`. It can be told to fail, to go down, or to
 * revoke what it issued.
 */
export class OAuth2TokenEndpoint extends LoopbackHttpServer {
  /** Token lifetime it announces (`expires_in`), in seconds. */
  lifetimeS = 3600;
  /** While set, every request is answered with this (e.g. 503, or 400 invalid_grant). */
  failWith?: { status: number; error?: string; description?: string };
  /** The mailbox an app's token (client credentials: any mailbox the app may use) stands for when an IMAP server asks (RFC 7662 introspection). */
  appMailbox?: string;
  /** Tokens an IMAP server asked about (`/introspect`), with the answer. */
  readonly introspections: { token: string; active: boolean }[] = [];
  /** Every request received: the grant type and what it asked for. */
  readonly requests: { grantType: string; clientId?: string; subject?: string; scope?: string }[] = [];
  private readonly clients = new Map<string, { secret?: string; certificatePem?: string }>();
  private readonly serviceAccounts = new Map<string, string>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly issued = new Map<string, { expiresAt: number; subject: string; scope?: string }>();
  private seq = 0;
  private readonly jwt = new JwtService();

  /** The token endpoint itself, as `oauth2TokenUrl` takes it. */
  override get url(): string {
    return `http://127.0.0.1:${this.port}/oauth2/v2.0/token`;
  }

  /** Where an IMAP server (Dovecot's oauth2 passdb) checks a bearer token: RFC 7662 token introspection. */
  get introspectionUrl(): string {
    return `http://127.0.0.1:${this.port}/introspect`;
  }

  /** A confidential client authenticating with a secret or with a certificate's key. */
  addClient(clientId: string, credential: { secret?: string; certificatePem?: string }): this {
    this.clients.set(clientId, credential);
    return this;
  }

  /** A service account whose assertions are signed by the key of this public key (PEM). */
  addServiceAccount(clientEmail: string, publicKeyPem: string): this {
    this.serviceAccounts.set(clientEmail, publicKeyPem);
    return this;
  }

  addRefreshToken(refreshToken: string, clientId: string): this {
    this.refreshTokens.set(refreshToken, clientId);
    return this;
  }

  /** Whether the relay should accept this bearer token for this user. */
  isValid(token: string, user?: string): boolean {
    const entry = this.issued.get(token);
    return !!entry && entry.expiresAt > Date.now() && (user === undefined || entry.subject === user || entry.subject === '*');
  }

  /** Whether an API should accept this bearer token: valid, and issued for its scope (Graph: `<endpoint>/.default`). */
  isValidFor(token: string, scope: string): boolean {
    return this.isValid(token) && this.issued.get(token)?.scope === scope;
  }

  /** The refresh token no longer gives tokens (the user revoked the consent). */
  revokeRefreshToken(refreshToken: string): void {
    this.refreshTokens.delete(refreshToken);
  }

  /** Every token issued so far stops being valid (a revocation, or an admin disabling the app). */
  revokeAll(): void {
    this.issued.clear();
  }

  /** Ends validity of issued tokens now, as if their lifetime had run out. */
  expireAll(): void {
    for (const entry of this.issued.values()) entry.expiresAt = 0;
  }

  /** The tokens issued so far that are still valid (to look for them where they must not be, e.g. logs). */
  issuedTokens(): string[] {
    return [...this.issued.keys()];
  }

  issuedCount(): number {
    return this.seq;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const form = new URLSearchParams(raw);
    const grantType = form.get('grant_type') ?? '';
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/introspect') {
      const token = form.get('token') ?? '';
      const entry = this.issued.get(token);
      const active = this.isValid(token);
      this.introspections.push({ token, active });
      return answer(200, active ? { active: true, username: entry!.subject === '*' ? this.appMailbox : entry!.subject } : { active: false });
    }
    if (req.method !== 'POST' || req.url !== '/oauth2/v2.0/token') return answer(404, { error: 'not_found' });
    if (this.failWith) {
      this.requests.push({ grantType });
      const { status, error, description } = this.failWith;
      return answer(status, error ? { error, error_description: description } : { message: 'unavailable' });
    }
    try {
      const { subject, clientId, scope } = await this.check(grantType, form);
      this.requests.push({ grantType, clientId, subject, scope });
      const token = `at-${++this.seq}-${Math.random().toString(36).slice(2)}`;
      this.issued.set(token, { expiresAt: Date.now() + this.lifetimeS * 1000, subject, scope });
      answer(200, { access_token: token, token_type: 'Bearer', expires_in: this.lifetimeS });
    } catch (error) {
      const { status, code, description } = error as { status: number; code: string; description: string };
      this.requests.push({ grantType });
      answer(status ?? 400, { error: code ?? 'invalid_request', error_description: description ?? String(error) });
    }
  }

  private async check(grantType: string, form: URLSearchParams): Promise<{ subject: string; clientId?: string; scope?: string }> {
    const refuse = (code: string, description: string, status = 400) => Object.assign(new Error(description), { status, code, description });
    const scope = form.get('scope') ?? undefined;
    switch (grantType) {
      case 'client_credentials': {
        const clientId = form.get('client_id') ?? '';
        const client = this.clients.get(clientId);
        if (!client) throw refuse('unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found.`);
        const assertion = form.get('client_assertion');
        if (assertion) {
          if (!client.certificatePem) throw refuse('invalid_client', 'no certificate registered');
          const certificate = new X509Certificate(client.certificatePem);
          const header = JSON.parse(Buffer.from(assertion.split('.')[0], 'base64url').toString()) as Record<string, string>;
          const expected = createHash('sha256').update(certificate.raw).digest('base64url');
          if (header['x5t#S256'] !== expected) throw refuse('invalid_client', 'AADSTS700027: the certificate thumbprint does not match');
          const claims = await this.jwt
            .verifyAsync<Record<string, unknown>>(assertion, { publicKey: certificate.publicKey.export({ type: 'spki', format: 'pem' }).toString(), algorithms: ['RS256'] })
            .catch(() => {
              throw refuse('invalid_client', 'AADSTS700027: Client assertion contains an invalid signature.', 401);
            });
          if (claims.iss !== clientId || claims.sub !== clientId || claims.aud !== this.url) throw refuse('invalid_client', 'AADSTS700023: bad claims');
        } else if (form.get('client_secret') !== client.secret) {
          throw refuse('invalid_client', 'AADSTS7000215: Invalid client secret provided.', 401);
        }
        return { subject: '*', clientId, scope };
      }
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
        const assertion = form.get('assertion') ?? '';
        const unverified = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString() || '{}') as Record<string, unknown>;
        const publicKey = this.serviceAccounts.get(String(unverified.iss));
        if (!publicKey) throw refuse('invalid_client', 'Invalid service account');
        const claims = await this.jwt.verifyAsync<Record<string, unknown>>(assertion, { publicKey, algorithms: ['RS256'] }).catch(() => {
          throw refuse('invalid_grant', 'Invalid JWT Signature.');
        });
        if (claims.aud !== this.url) throw refuse('invalid_grant', 'Invalid JWT: audience');
        if (claims.scope !== 'https://mail.google.com/') throw refuse('invalid_scope', 'scope');
        if (typeof claims.sub !== 'string') throw refuse('unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method');
        return { subject: claims.sub, clientId: String(claims.iss), scope: String(claims.scope) };
      }
      case 'refresh_token': {
        const clientId = this.refreshTokens.get(form.get('refresh_token') ?? '');
        if (!clientId || clientId !== form.get('client_id')) throw refuse('invalid_grant', 'Token has been expired or revoked.');
        const client = this.clients.get(clientId);
        if (client?.secret !== undefined && form.get('client_secret') !== client.secret) throw refuse('invalid_client', 'Unauthorized', 401);
        return { subject: '*', clientId, scope };
      }
      default:
        throw refuse('unsupported_grant_type', grantType);
    }
  }
}
