import { generateKeyPairSync } from 'node:crypto';
import { OAuth2TokenEndpoint } from '../../../test/support/oauth2-token-endpoint';
import { TLS_FIXTURES } from '../../../test/support/smtp-sink';
import { parseServiceAccountKey } from '../../settings/smtp-settings/service-account-key';
import { GOOGLE_SCOPE, MICROSOFT_SCOPE, type OAuth2Grant } from './oauth2-grant';
import { OAuth2TokenSource, TokenEndpointError } from './oauth2-token-source';

describe('OAuth2TokenSource against a local token endpoint', () => {
  let endpoint: OAuth2TokenEndpoint;
  const serviceAccount = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sources: OAuth2TokenSource[] = [];
  let clock = Date.now();

  function source(grant: Partial<OAuth2Grant> & Pick<OAuth2Grant, 'kind'>): OAuth2TokenSource {
    const s = new OAuth2TokenSource({ tokenUrl: endpoint.url, ...grant } as OAuth2Grant, { now: () => clock });
    sources.push(s);
    return s;
  }
  const secretGrant = { kind: 'client-credentials', clientId: 'herald-app', clientSecret: 's3cret-value', scope: MICROSOFT_SCOPE } as const;

  beforeEach(async () => {
    clock = Date.now();
    endpoint = await new OAuth2TokenEndpoint().start();
    endpoint
      .addClient('herald-app', { secret: 's3cret-value' })
      .addClient('herald-cert-app', { certificatePem: TLS_FIXTURES.cert })
      .addServiceAccount('herald@project.iam.gserviceaccount.com', serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }).toString())
      .addRefreshToken('1//refresh-token-value', 'herald-app');
  });
  afterEach(async () => {
    sources.splice(0).forEach((s) => s.close());
    await endpoint.stop();
  });

  it('client credentials with a secret: one request, then the cached token', async () => {
    const tokens = source(secretGrant);
    const first = await tokens.token();
    expect(endpoint.isValid(first.value)).toBe(true);
    expect(await tokens.token()).toBe(first);
    expect(endpoint.requests).toEqual([{ grantType: 'client_credentials', clientId: 'herald-app', subject: '*', scope: MICROSOFT_SCOPE }]);
  });

  it('client credentials with a certificate: a signed client assertion naming the certificate', async () => {
    const tokens = source({ kind: 'client-credentials', clientId: 'herald-cert-app', scope: MICROSOFT_SCOPE, certificate: { certificatePem: TLS_FIXTURES.cert, privateKeyPem: TLS_FIXTURES.key } });
    expect(endpoint.isValid((await tokens.token()).value)).toBe(true);
  });

  it('a Google service account: a JWT bearer assertion impersonating the sender', async () => {
    const key = parseServiceAccountKey(
      JSON.stringify({ type: 'service_account', client_email: 'herald@project.iam.gserviceaccount.com', private_key: serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }) }),
    );
    const tokens = source({ kind: 'service-account', clientEmail: key.clientEmail, privateKeyPem: key.privateKeyPem, scope: GOOGLE_SCOPE, subject: 'alerts@example.com' });
    expect(endpoint.isValid((await tokens.token()).value, 'alerts@example.com')).toBe(true);
    expect(endpoint.requests[0]).toMatchObject({ grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', subject: 'alerts@example.com' });
  });

  it('a refresh token', async () => {
    const tokens = source({ kind: 'refresh-token', clientId: 'herald-app', clientSecret: 's3cret-value', refreshToken: '1//refresh-token-value' });
    expect(endpoint.isValid((await tokens.token()).value)).toBe(true);
  });

  it('a wrong secret: invalid_client with the status, the secret never in the message', async () => {
    const tokens = source({ ...secretGrant, clientSecret: 'wrong-secret-value' });
    const error = (await tokens.token().catch((e: unknown) => e)) as TokenEndpointError;
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect({ status: error.status, oauthError: error.oauthError, transient: error.transient }).toEqual({ status: 401, oauthError: 'invalid_client', transient: false });
    expect(error.message).toContain('AADSTS7000215');
    expect(error.message).not.toContain('wrong-secret-value');
  });

  it('an endpoint that is down or overloaded is a transient failure', async () => {
    endpoint.failWith = { status: 503 };
    const overloaded = (await source(secretGrant).token().catch((e: unknown) => e)) as TokenEndpointError;
    expect({ status: overloaded.status, transient: overloaded.transient }).toEqual({ status: 503, transient: true });
    const url = endpoint.url;
    await endpoint.stop();
    const down = (await new OAuth2TokenSource({ ...secretGrant, tokenUrl: url }, { now: () => clock }).token().catch((e: unknown) => e)) as TokenEndpointError;
    expect({ status: down.status, transient: down.transient }).toEqual({ status: null, transient: true });
    expect(down.message).toMatch(/unreachable: ECONNREFUSED/);
    endpoint = await new OAuth2TokenEndpoint().start(); // for afterEach
  });

  it('concurrent callers share one request', async () => {
    const tokens = source(secretGrant);
    const all = await Promise.all(Array.from({ length: 10 }, () => tokens.token()));
    expect(new Set(all.map((t) => t.value)).size).toBe(1);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('renew forces one new token, unless another renewal just got one', async () => {
    const tokens = source(secretGrant);
    const first = await tokens.token();
    const renewed = await tokens.token({ renew: true });
    expect(renewed.value).not.toBe(first.value);
    expect(await tokens.token({ renew: true })).toBe(renewed); // another connection, refused with the old token
    clock += 10_000;
    expect((await tokens.token({ renew: true })).value).not.toBe(renewed.value);
    expect(endpoint.requests).toHaveLength(3);
  });

  it('a token close to its expiry is replaced; an expired one is never handed out', async () => {
    endpoint.lifetimeS = 120;
    const tokens = source(secretGrant);
    const first = await tokens.token();
    clock += 70_000; // inside the refresh margin: still valid, refreshed beside
    expect(await tokens.token()).toBe(first);
    clock += 60_000; // expired
    const next = await tokens.token();
    expect(next.value).not.toBe(first.value);
    expect(next.expiresAt).toBeGreaterThan(clock);
  });

  it("hands nodemailer the token and its expiry through provisionCallback", async () => {
    const tokens = source(secretGrant);
    const [error, accessToken, expires] = await new Promise<[Error | null, string?, number?]>((resolve) =>
      tokens.provisionCallback('alerts@example.com', false, (...args) => resolve(args)),
    );
    expect(error).toBeNull();
    expect(endpoint.isValid(accessToken!)).toBe(true);
    expect(expires).toBeGreaterThan(clock);
  });
});
