import { type OAuth2Grant, tokenRequestBody } from './oauth2-grant';

/** An access token and when it stops being valid (epoch ms). */
export interface AccessToken {
  value: string;
  expiresAt: number;
  obtainedAt: number;
  /** When it is replaced in the background: the refresh margin before expiry, at most half its life. */
  refreshAt: number;
}

/**
 * The token endpoint could not give a token: unreachable, or it answered an
 * error. `status` is the HTTP status (null when unreachable), `oauthError` the
 * RFC 6749 error code (`invalid_client`, `unauthorized_client`, …). The message
 * never holds a secret of the grant. nodemailer keeps this error object when it
 * fails an XOAUTH2 login with it (its code becomes EAUTH, ours `originalCode`).
 */
export class TokenEndpointError extends Error {
  static readonly CODE = 'ETOKEN';
  readonly code = TokenEndpointError.CODE;

  constructor(
    message: string,
    readonly status: number | null,
    readonly oauthError: string | null,
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }

  /** A failure that a later attempt may not have: unreachable, 5xx, 429, or a temporary OAuth error. */
  get transient(): boolean {
    if (this.status === null || this.status >= 500 || this.status === 429) return true;
    return this.oauthError === 'temporarily_unavailable' || this.oauthError === 'server_error';
  }
}

export interface TokenSourceOptions {
  /** Now, in epoch ms: Herald's Clock. */
  now: () => number;
  fetch?: typeof globalThis.fetch;
  /** How long a token request may take. */
  timeoutMs?: number;
  /** A token is refreshed this long before it expires, in the background. */
  refreshMarginMs?: number;
  /** Called after every token request, for metrics and logs. */
  onRequest?: (outcome: { ok: true; expiresAt: number } | { ok: false; error: TokenEndpointError }) => void;
}

/** A renewal asked for within this time of the last renewal reuses its token: several pooled connections refused together need one new token. */
const RENEW_DEBOUNCE_MS = 5_000;
/** When the endpoint gives no `expires_in`, a token is trusted this long. */
const DEFAULT_LIFETIME_MS = 3_600_000;

/**
 * One process's access tokens for one grant: fetched with the standard grant on
 * first use, cached until shortly before expiry, refreshed in the background,
 * shared by every pooled connection (concurrent callers wait for one request).
 * `renew` (nodemailer asks for it after the relay refused a token) forces one
 * new token, unless another renewal just got one.
 */
export class OAuth2TokenSource {
  private current?: AccessToken;
  /** When a renewal last got a token: the pool's other connections, refused with the old token, take this one. */
  private renewedAt = -Infinity;
  private inFlight?: Promise<AccessToken>;
  private refreshTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly now: () => number;
  private readonly fetch: typeof globalThis.fetch;
  private readonly timeoutMs: number;
  private readonly refreshMarginMs: number;

  constructor(
    private readonly grant: OAuth2Grant,
    private readonly options: TokenSourceOptions,
  ) {
    this.now = options.now;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
  }

  /** A valid token: the cached one, or a new one. */
  async token(options: { renew?: boolean } = {}): Promise<AccessToken> {
    const current = this.current;
    const now = this.now();
    if (current && !options.renew && current.refreshAt > now) return current;
    if (current && options.renew && now - this.renewedAt < RENEW_DEBOUNCE_MS) return current;
    if (current && !options.renew && current.expiresAt > now) {
      void this.refresh().catch(() => undefined); // still valid: use it, refresh beside
      return current;
    }
    if (!options.renew) return this.refresh();
    const renewed = await this.refresh();
    this.renewedAt = this.now();
    return renewed;
  }

  /**
   * nodemailer's hook for XOAUTH2 (`auth.provisionCallback`): nodemailer builds the
   * SASL string and retries a refused login once with `renew`.
   */
  readonly provisionCallback = (_user: string, renew: boolean, callback: (error: Error | null, accessToken?: string, expires?: number) => void): void => {
    this.token({ renew }).then(
      (token) => callback(null, token.value, token.refreshAt),
      (error: Error) => callback(error),
    );
  };

  /** How long this token is still valid, by the source's clock. */
  validFor(token: AccessToken): number {
    return token.expiresAt - this.now();
  }

  /** Stops the background refresh. */
  close(): void {
    this.closed = true;
    clearTimeout(this.refreshTimer);
  }

  private refresh(): Promise<AccessToken> {
    this.inFlight ??= this.request().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async request(): Promise<AccessToken> {
    const obtainedAt = this.now();
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(this.grant.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: await tokenRequestBody(this.grant, obtainedAt),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.failed(new TokenEndpointError(`token endpoint ${this.endpoint()} unreachable: ${causeOf(error)}`, null, null));
    }
    const body = parseJson(text);
    if (!response.ok || typeof body?.access_token !== 'string') {
      const oauthError = typeof body?.error === 'string' ? body.error : null;
      const description = typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
      const what = oauthError ? `${oauthError}${description}` : response.ok ? 'no access_token in the answer' : 'an error';
      throw this.failed(new TokenEndpointError(this.redact(`token endpoint ${this.endpoint()} answered ${response.status} ${what}`).slice(0, 500), response.status, oauthError));
    }
    const lifetimeMs = Number(body.expires_in) > 0 ? Number(body.expires_in) * 1000 : DEFAULT_LIFETIME_MS;
    const token = { value: body.access_token, obtainedAt, expiresAt: obtainedAt + lifetimeMs, refreshAt: obtainedAt + lifetimeMs - Math.min(this.refreshMarginMs, lifetimeMs / 2) };
    this.current = token;
    this.options.onRequest?.({ ok: true, expiresAt: token.expiresAt });
    this.scheduleRefresh(token);
    return token;
  }

  private scheduleRefresh(token: AccessToken): void {
    clearTimeout(this.refreshTimer);
    if (this.closed) return;
    const delay = Math.max(token.refreshAt - this.now(), 1_000);
    this.refreshTimer = setTimeout(() => {
      // A failed background refresh leaves the token in use until it expires; the next use asks again.
      void this.refresh().catch(() => undefined);
    }, delay);
    this.refreshTimer.unref();
  }

  private failed(error: TokenEndpointError): TokenEndpointError {
    this.options.onRequest?.({ ok: false, error });
    return error;
  }

  /** The endpoint without query or credentials, for messages. */
  endpoint(): string {
    try {
      const url = new URL(this.grant.tokenUrl);
      return `${url.origin}${url.pathname}`;
    } catch {
      return '(invalid URL)';
    }
  }

  /** Whatever a provider echoes back, the grant's secrets never reach a message. */
  private redact(message: string): string {
    const g = this.grant;
    const secrets = [
      g.kind === 'client-credentials' ? g.clientSecret : undefined,
      g.kind === 'refresh-token' ? g.refreshToken : undefined,
      g.kind === 'refresh-token' ? g.clientSecret : undefined,
    ].filter((s): s is string => !!s && s.length >= 4);
    return secrets.reduce((m, s) => m.split(s).join('***'), message);
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function causeOf(error: unknown): string {
  const e = error as Error & { cause?: Error & { code?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
