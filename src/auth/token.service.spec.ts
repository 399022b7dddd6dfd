import { HeraldConfig } from '../config/herald-config';
import { validateEnvironment } from '../config/validate-environment';
import { JwtSecret } from './jwt-secret';
import { Role } from './role.enum';
import { InvalidTokenError, TokenService } from './token.service';

function service(env: Record<string, string> = {}) {
  const full = { JWT_SECRET: 's'.repeat(40), ...env };
  const config = new HeraldConfig(validateEnvironment(full), full);
  return new TokenService(JwtSecret.load(config), config);
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

  it('stops accepting a remembered token once it expires', async () => {
    const tokens = service();
    const token = tokens.sign({ sub: 'bob', roles: [Role.USER] }, 1);
    expect(tokens.verify(token).sub).toBe('bob');
    await new Promise((r) => setTimeout(r, 1100));
    expect(() => tokens.verify(token)).toThrow(/jwt expired/);
  });

  it('checks issuer and audience when configured', () => {
    const strict = service({ JWT_ISSUER: 'console', JWT_AUDIENCE: 'herald' });
    const loose = service();
    expect(() => strict.verify(loose.sign({ sub: 'x', roles: [Role.USER] }))).toThrow(InvalidTokenError);
    expect(strict.verify(strict.sign({ sub: 'x', roles: [Role.USER] })).sub).toBe('x');
  });
});
