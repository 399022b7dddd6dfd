import { createSecretKey } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { ManualClock } from '../clock/manual-clock';
import { HeraldConfig } from '../config/herald-config';
import { validateEnvironment } from '../config/validate-environment';
import { JwtSecret } from './jwt-secret';
import { Role } from './role.enum';
import { InvalidTokenError, TokenService } from './token.service';

const SECRET = 's'.repeat(40);

function service(env: Record<string, string> = {}, clock = new ManualClock()) {
  const full = { JWT_SECRET: SECRET, ...env };
  const config = new HeraldConfig(validateEnvironment(full), full);
  return new TokenService(JwtSecret.load(config), config, clock);
}

/** A token as another issuer (the console) might mint it with the shared secret: any claims, no defaults. */
function minted(claims: Record<string, unknown>): string {
  return new JwtService({ secret: createSecretKey(Buffer.from(SECRET)) }).sign({ roles: ['USER'], ...claims }, { subject: 'mia', noTimestamp: !('iat' in claims) });
}

describe('TokenService', () => {
  it('round-trips a principal', () => {
    const tokens = service();
    const token = tokens.sign({ sub: 'alice', roles: [Role.ADMIN], email: 'a@example.com' });
    expect(tokens.verify(token)).toEqual({ sub: 'alice', roles: ['ADMIN'], email: 'a@example.com', name: undefined });
    expect(tokens.verify(token)).toEqual(tokens.verify(token)); // the remembered answer is the same
  });

  it('refuses a token signed with another secret, and one with bad claims', () => {
    const other = service({ JWT_SECRET: 'o'.repeat(40) }).sign({ sub: 'mallory', roles: [Role.ADMIN] });
    expect(() => service().verify(other)).toThrow(InvalidTokenError);
    const noRoles = service().sign({ sub: 'x', roles: ['ROOT' as Role] });
    expect(() => service().verify(noRoles)).toThrow(/bad claims: roles/);
  });

  it("refuses a token whose sub breaks the rule of ids (as an event's people's), naming the claim and the rule, not the value", () => {
    const clock = new ManualClock();
    const exp = Math.floor(clock.now() / 1000) + 60;
    const tokens = service({}, clock);
    const withSub = (sub: string) => new JwtService({ secret: createSecretKey(Buffer.from(SECRET)) }).sign({ roles: ['USER'], exp }, { subject: sub, noTimestamp: true });
    for (const [sub, reason] of [
      ['mia\r\nforged', 'must not contain white space'],
      ['mia\u0000', 'must not contain control characters'],
      ['mia smith', 'must not contain white space'],
      ['mia\u202e', 'must not contain bidirectional control characters'],
      ['m'.repeat(256), 'must be shorter than or equal to 255 characters'],
    ]) {
      expect(() => tokens.verify(withSub(sub))).toThrow(new RegExp(`^bad claims: sub \\(.*${reason.replace(/[()]/g, '\\$&')}`));
      expect(() => tokens.verify(withSub(sub))).not.toThrow(sub.slice(0, 8));
    }
    expect(tokens.verify(withSub('mia.o-brien_42@console'))).toEqual({ sub: 'mia.o-brien_42@console', roles: ['USER'] });
    expect(tokens.verify(withSub('\u{1f600}'.repeat(255)))).toEqual({ sub: '\u{1f600}'.repeat(255), roles: ['USER'] });
  });

  it('takes a token whose name or email claim is not a string or breaks its rule, without that claim', () => {
    const clock = new ManualClock();
    const exp = Math.floor(clock.now() / 1000) + 60;
    const tokens = service({}, clock);
    expect(tokens.verify(minted({ exp, name: 42, email: ['a@example.com'] }))).toEqual({ sub: 'mia', roles: ['USER'] });
    expect(tokens.verify(minted({ exp, name: '', email: 'a%b@example.com' }))).toEqual({ sub: 'mia', roles: ['USER'] });
    expect(tokens.verify(minted({ exp, name: 'Mia \u202e', email: 'mia@example.com' }))).toEqual({ sub: 'mia', roles: ['USER'], email: 'mia@example.com' });
  });

  it("stops accepting a remembered token once it expires, by Herald's clock", () => {
    const clock = new ManualClock();
    const tokens = service({}, clock);
    const token = tokens.sign({ sub: 'bob', roles: [Role.USER] }, 60);
    expect(tokens.verify(token).sub).toBe('bob');
    clock.advance(59_000);
    expect(tokens.verify(token).sub).toBe('bob');
    clock.advance(1_000);
    expect(() => tokens.verify(token)).toThrow(/jwt expired/);
  });

  it("signs with Herald's clock: iat is the clock's now, exp the lifetime after it", () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const token = service({}, clock).sign({ sub: 'bob', roles: [Role.USER] }, '2h');
    const { iat, exp } = new JwtService().decode<{ iat: number; exp: number }>(token);
    expect(iat).toBe(Date.UTC(2030, 0, 1) / 1000);
    expect(exp - iat).toBe(7200);
  });

  it('checks issuer and audience when configured', () => {
    const strict = service({ JWT_ISSUER: 'console', JWT_AUDIENCE: 'herald' });
    const loose = service();
    expect(() => strict.verify(loose.sign({ sub: 'x', roles: [Role.USER] }))).toThrow(InvalidTokenError);
    expect(strict.verify(strict.sign({ sub: 'x', roles: [Role.USER] })).sub).toBe('x');
  });

  describe('lifetime', () => {
    const clock = new ManualClock();
    const now = () => Math.floor(clock.now() / 1000);

    it('refuses a token without exp (it would work for ever), naming the claim', () => {
      expect(() => service({}, clock).verify(minted({ iat: now() }))).toThrow(
        'it does not expire (no exp claim): Herald accepts tokens that expire within JWT_MAX_LIFETIME (24h)',
      );
      expect(() => service({}, clock).verify(minted({}))).toThrow(/no exp claim/);
    });

    it('refuses a lifetime (exp − iat) over JWT_MAX_LIFETIME, 24h by default', () => {
      const tokens = service({}, clock);
      expect(tokens.verify(minted({ iat: now(), exp: now() + 86_400 })).sub).toBe('mia');
      expect(() => tokens.verify(minted({ iat: now(), exp: now() + 30 * 86_400 }))).toThrow(
        'it lasts 30d (exp − iat), longer than JWT_MAX_LIFETIME allows (24h)',
      );
      // Issued a week ago for a week and a day: one day left, but a lifetime of 8 days.
      expect(() => tokens.verify(minted({ iat: now() - 7 * 86_400, exp: now() + 86_400 }))).toThrow(/lasts 8d/);
    });

    it('without iat, counts from now (exp − now); an iat in the future counts from now too', () => {
      const tokens = service({ JWT_MAX_LIFETIME: '1h' }, clock);
      expect(tokens.verify(minted({ exp: now() + 3600 })).sub).toBe('mia');
      expect(() => tokens.verify(minted({ exp: now() + 3601 }))).toThrow('it lasts 3601s (exp − now), longer than JWT_MAX_LIFETIME allows (1h)');
      // A token "issued" next year for an hour would last a year from now.
      expect(() => tokens.verify(minted({ iat: now() + 365 * 86_400, exp: now() + 365 * 86_400 + 3600 }))).toThrow(/longer than JWT_MAX_LIFETIME/);
      // A clock a few seconds ahead of Herald's is not an offence.
      expect(tokens.verify(minted({ iat: now() + 5, exp: now() + 5 + 3600 })).sub).toBe('mia');
    });

    it('signs within the maximum: the default lifetime is 12h, or the maximum when shorter; longer is refused', () => {
      const decode = (token: string) => new JwtService().decode<{ iat: number; exp: number }>(token);
      const lifetime = (token: string) => decode(token).exp - decode(token).iat;
      expect(lifetime(service({}, clock).sign({ sub: 'a', roles: [Role.USER] }))).toBe(12 * 3600);
      expect(lifetime(service({ JWT_MAX_LIFETIME: '30m' }, clock).sign({ sub: 'a', roles: [Role.USER] }))).toBe(1800);
      expect(() => service({}, clock).sign({ sub: 'a', roles: [Role.USER] }, '2d')).toThrow('a lifetime of 2d is longer than JWT_MAX_LIFETIME allows (24h)');
    });
  });
});
