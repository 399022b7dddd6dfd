import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadSecretKey, SecretCipher } from '../libs/crypto/src';
import { runCli, type CliIo } from './cli';
import { JwtSecret } from './auth/jwt-secret';
import { TokenService } from './auth/token.service';
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
    const principal = new TokenService(JwtSecret.load(config), config).verify(run.out[0]);
    expect(principal).toEqual({ sub: 'alice', roles: ['ADMIN', 'USER'], email: 'a@example.com', name: undefined });
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(32);
  });

  it('token refuses an unknown role and a missing subject', async () => {
    const bad = io();
    expect(await runCli(['token', '--sub', 'x', '--role', 'ROOT'], config, bad.io)).toBe(1);
    expect(bad.err[0]).toMatch(/unknown role ROOT/);
    const none = io();
    expect(await runCli(['token'], config, none.io)).toBe(1);
    expect(none.err[0]).toMatch(/--sub is required/);
  });

  it('migrate brings a new database up to date, then has nothing to do', async () => {
    const first = io();
    expect(await runCli(['migrate'], config, first.io)).toBe(0);
    expect(first.out[0]).toMatch(/^applied: InitialSchema/);
    const second = io();
    expect(await runCli(['migrate'], config, second.io)).toBe(0);
    expect(second.out).toEqual(['no pending migrations']);
  });

  it('prints usage for an unknown command', async () => {
    const run = io();
    expect(await runCli(['frobnicate'], config, run.io)).toBe(2);
    expect(run.err[0]).toMatch(/^usage: herald <command>/);
  });
});
