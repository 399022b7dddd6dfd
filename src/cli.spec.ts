import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadSecretKey, SecretCipher } from '@herald/crypto';
import { runCli, type CliIo } from './cli';
import { JwtService } from '@nestjs/jwt';
import { JwtSecret } from './auth/jwt-secret';
import { TokenService } from './auth/token.service';
import { SystemClock } from './clock/clock';
import { loadConfig } from './config/herald-config';

function io(stdinText = '') {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = Object.assign(Readable.from([Buffer.from(stdinText)]), { isTTY: false });
  return { io: { stdin, out: (l: string) => out.push(l), err: (l: string) => err.push(l) } satisfies CliIo, out, err };
}

describe('herald CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  const config = loadConfig({ DATA_DIR: dataDir }, '/nonexistent');

  it('encrypt-password reads stdin and prints an ENC value the server key decrypts', async () => {
    const run = io('my relay password\n');
    expect(await runCli(['encrypt-password'], config, run.io)).toBe(0);
    expect(run.out).toHaveLength(1);
    expect(run.out[0]).toMatch(/^ENC\(v1:.+\)$/);
    expect(run.out[0]).not.toContain('my relay password');
    expect(run.err.join()).toMatch(/generated the secret key .*secret\.key: back it up/);
    const cipher = new SecretCipher(loadSecretKey(config.secretKey).key);
    expect(cipher.decrypt(run.out[0])).toBe('my relay password');
  });

  it('encrypt-password refuses an empty password', async () => {
    const run = io('');
    expect(await runCli(['encrypt-password'], config, run.io)).toBe(1);
    expect(run.err).toEqual(['herald: empty password']);
  });

  it('token mints a token the server accepts, with the roles asked for', async () => {
    const run = io();
    expect(await runCli(['token', '--sub', 'alice', '--role', 'ADMIN', '--role', 'user', '--email', 'a@example.com'], config, run.io)).toBe(0);
    const principal = new TokenService(JwtSecret.load(config), config, new SystemClock()).verify(run.out[0]);
    expect(principal).toEqual({ sub: 'alice', roles: ['ADMIN', 'USER'], email: 'a@example.com', name: undefined });
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(32);
  });

  it('token expires within JWT_MAX_LIFETIME: 12h by default (or the maximum when shorter), --expires up to the maximum', async () => {
    const lifetime = (token: string) => {
      const { iat, exp } = new JwtService().decode<{ iat: number; exp?: number }>(token);
      return exp! - iat;
    };
    const plain = io();
    expect(await runCli(['token', '--sub', 'alice'], config, plain.io)).toBe(0);
    expect(lifetime(plain.out[0])).toBe(12 * 3600);
    const week = io();
    const weekly = loadConfig({ DATA_DIR: dataDir, JWT_MAX_LIFETIME: '7d' }, '/nonexistent');
    expect(await runCli(['token', '--sub', 'alice', '--expires', '7d'], weekly, week.io)).toBe(0);
    expect(lifetime(week.out[0])).toBe(7 * 86_400);
    expect(new TokenService(JwtSecret.load(weekly), weekly, new SystemClock()).verify(week.out[0]).sub).toBe('alice');
    const short = io();
    expect(await runCli(['token', '--sub', 'alice'], loadConfig({ DATA_DIR: dataDir, JWT_MAX_LIFETIME: '30m' }, '/nonexistent'), short.io)).toBe(0);
    expect(lifetime(short.out[0])).toBe(1800);
  });

  it('token refuses --expires beyond JWT_MAX_LIFETIME, or not a duration, as usage errors (exit 2, no token)', async () => {
    const long = io();
    expect(await runCli(['token', '--sub', 'alice', '--expires', '30d'], config, long.io)).toBe(2);
    expect(long.err[0]).toMatch(/^herald token: --expires 30d is longer than JWT_MAX_LIFETIME \(24h\): Herald would refuse the token; ask for less, or raise JWT_MAX_LIFETIME/);
    const bad = io();
    expect(await runCli(['token', '--sub', 'alice', '--expires', 'soon'], config, bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/^herald token: --expires must be a duration: seconds, or a number with s, m, h or d \(e\.g\. 12h\), not "soon"/);
    expect([...long.out, ...bad.out]).toEqual([]);
  });

  it('token refuses an unknown role and a missing subject as usage errors (exit 2, usage on stderr)', async () => {
    const bad = io();
    expect(await runCli(['token', '--sub', 'x', '--role', 'ROOT'], config, bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/^herald token: unknown role ROOT/);
    expect(bad.err[0]).toContain('usage: herald token --sub ID');
    const spaced = io();
    expect(await runCli(['token', '--sub', 'alice smith'], config, spaced.io)).toBe(2);
    expect(spaced.err[0]).toMatch(/^herald token: --sub must be an id: 1–255 characters without white space or control characters \(Herald would refuse the token\)/);
    expect(spaced.out).toEqual([]);
    const none = io();
    expect(await runCli(['token'], config, none.io)).toBe(2);
    expect(none.err[0]).toMatch(/^herald token: --sub is required/);
    expect([...bad.out, ...none.out]).toEqual([]);
  });

  it('migrate brings a new database up to date, then has nothing to do', async () => {
    const first = io();
    expect(await runCli(['migrate'], config, first.io)).toBe(0);
    expect(first.out[0]).toMatch(/^applied: InitialSchema/);
    const second = io();
    expect(await runCli(['migrate'], config, second.io)).toBe(0);
    expect(second.out).toEqual(['no pending migrations']);
  });

  describe('help and usage', () => {
    // A configuration whose directory must stay empty: help never loads keys or opens the database.
    const untouchedDir = mkdtempSync(join(tmpdir(), 'herald-cli-help-'));
    const untouched = loadConfig({ DATA_DIR: untouchedDir }, '/nonexistent');

    it.each([['--help'], ['-h'], ['help']])('`herald %s` prints the usage on stdout and exits 0', async (flag) => {
      const run = io();
      expect(await runCli([flag], untouched, run.io)).toBe(0);
      expect(run.err).toEqual([]);
      expect(run.out[0]).toMatch(/^usage: herald <command>/);
      for (const command of ['token', 'encrypt-password', 'migrate', 'schema']) expect(run.out[0]).toContain(`  ${command} `);
    });

    it.each([
      ['token', /^usage: herald token --sub ID \[--role R\]\.\.\./],
      ['encrypt-password', /^usage: herald encrypt-password\n/],
      ['migrate', /^usage: herald migrate\n/],
      ['schema', /^usage: herald schema \[--out FILE\]/],
    ])('`herald %s --help` describes the command on stdout, exits 0 and does nothing else', async (command, usageLine) => {
      const run = io();
      expect(await runCli([command, '--help'], untouched, run.io)).toBe(0);
      expect(run.err).toEqual([]);
      expect(run.out).toHaveLength(1);
      expect(run.out[0]).toMatch(usageLine);
      expect(readdirSync(untouchedDir)).toEqual([]);
    });

    it('`herald help token` and `herald token -h` describe the command too', async () => {
      for (const argv of [['help', 'token'], ['token', '--sub', 'alice', '-h']]) {
        const run = io();
        expect(await runCli(argv, untouched, run.io)).toBe(0);
        expect(run.out[0]).toMatch(/^usage: herald token /);
      }
      expect(readdirSync(untouchedDir)).toEqual([]);
    });

    it('an unknown command exits 2 with its name and the usage on stderr, nothing on stdout', async () => {
      const run = io();
      expect(await runCli(['frobnicate'], untouched, run.io)).toBe(2);
      expect(run.out).toEqual([]);
      expect(run.err[0]).toMatch(/^herald: unknown command 'frobnicate'\n\nusage: herald <command>/);
    });

    it('no command at all exits 2 with the usage on stderr', async () => {
      const run = io();
      expect(await runCli([], untouched, run.io)).toBe(2);
      expect(run.out).toEqual([]);
      expect(run.err[0]).toMatch(/^usage: herald <command>/);
    });

    it('an unknown option or a stray argument exits 2 naming it, with the command\'s usage', async () => {
      const option = io();
      expect(await runCli(['token', '--sub', 'alice', '--bogus'], untouched, option.io)).toBe(2);
      expect(option.err[0]).toMatch(/^herald token: Unknown option '--bogus'/);
      expect(option.err[0]).toContain('usage: herald token');
      const stray = io();
      expect(await runCli(['migrate', 'now'], untouched, stray.io)).toBe(2);
      expect(stray.err[0]).toMatch(/^herald migrate: Unexpected argument 'now'/);
      expect([...option.out, ...stray.out]).toEqual([]);
      expect(readdirSync(untouchedDir)).toEqual([]);
    });
  });
});
