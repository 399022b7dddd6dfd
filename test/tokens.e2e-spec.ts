import { createSecretKey } from 'node:crypto';
import { Readable } from 'node:stream';
import { JwtService } from '@nestjs/jwt';
import { runCli } from '../src/cli';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

/**
 * Bearer tokens as Herald sees them over HTTP: one must expire, within
 * JWT_MAX_LIFETIME, and the CLI's development tokens do.
 */
describe(`bearer token lifetime (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  const SECRET = 'e2e-secret-that-is-long-enough-for-hs256-tokens';
  /** A token as another holder of the secret (the console) could mint it. */
  const minted = (claims: Record<string, unknown>, options: { noTimestamp?: boolean; subject?: string } = {}) =>
    new JwtService({ secret: createSecretKey(Buffer.from(SECRET)) }).sign({ roles: ['USER'], ...claims }, { subject: 'mia', ...options });
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => (app = await HeraldTestApp.start({ JWT_SECRET: SECRET, JWT_MAX_LIFETIME: '8h', LOG_LEVEL: 'debug' })));
  afterAll(() => app?.close());

  it('refuses a token without exp: UNAUTHENTICATED, saying why, without the secret', async () => {
    const res = await app.gql('{ me { id } }', {}, minted({}));
    expect(res.data).toBeNull();
    expect(res.errors).toEqual([
      expect.objectContaining({
        message: 'Invalid bearer token: it does not expire (no exp claim): Herald accepts tokens that expire within JWT_MAX_LIFETIME (8h)',
        extensions: { code: 'UNAUTHENTICATED' },
      }),
    ]);
    expect(JSON.stringify(res)).not.toContain(SECRET);
  });

  it('refuses a token that lasts longer than JWT_MAX_LIFETIME, and takes one within it', async () => {
    const long = await app.gql('{ me { id } }', {}, minted({ iat: now(), exp: now() + 30 * 86_400 }));
    expect(long.errors?.[0]).toMatchObject({
      message: 'Invalid bearer token: it lasts 30d (exp − iat), longer than JWT_MAX_LIFETIME allows (8h)',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const withoutIat = await app.gql('{ me { id } }', {}, minted({ exp: now() + 9 * 3600 }, { noTimestamp: true }));
    expect(withoutIat.errors?.[0].message).toMatch(/^Invalid bearer token: it lasts \d+[hms] \(exp − now\), longer than JWT_MAX_LIFETIME allows \(8h\)$/);
    const fine = await app.gql('{ me { id } }', {}, minted({ iat: now(), exp: now() + 8 * 3600 }));
    expect(fine).toEqual({ data: { me: { id: 'mia' } } });
  });

  it('refuses a token whose sub breaks the rule of ids (CR/LF): UNAUTHENTICATED naming the claim, and nothing logged holds the value', async () => {
    const exp = now() + 3600;
    const { result, log } = await capturingOutput(() => app.gql('{ me { id } }', {}, minted({ exp }, { subject: 'mia\r\nINFO forged-line' })));
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: 'Invalid bearer token: bad claims: sub (must not contain white space)',
        extensions: { code: 'UNAUTHENTICATED' },
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain('forged-line');
    expect(log).not.toContain('forged-line');
    expect(await app.gql('{ me { id } }', {}, minted({ exp }, { subject: 'mia.o-brien@console' }))).toEqual({ data: { me: { id: 'mia.o-brien@console' } } });
  });

  it("takes the CLI's development token (`herald token`), which expires within the maximum", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdin: Readable.from([]), out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await runCli(['token', '--sub', 'alice', '--role', 'ADMIN'], app.config, io)).toBe(0);
    expect(err).toEqual([]);
    const { iat, exp } = new JwtService().decode<{ iat: number; exp: number }>(out[0]);
    expect(exp - iat).toBe(8 * 3600);
    expect(await app.gql('{ me { id } }', {}, out[0])).toEqual({ data: { me: { id: 'alice' } } });
  });
});
