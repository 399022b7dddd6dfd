import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEncrypted, loadSecretKey, parseSecretKey, SecretCipher, SecretDecryptionError } from './index';

describe('SecretCipher', () => {
  const cipher = new SecretCipher(randomBytes(32));

  it('round-trips a secret and never shows the plain text', () => {
    const sealed = cipher.encrypt('s3cr3t-pässword');
    expect(sealed).toMatch(/^ENC\(v1:[A-Za-z0-9+/=]+\)$/);
    expect(sealed).not.toContain('s3cr3t');
    expect(cipher.decrypt(sealed)).toBe('s3cr3t-pässword');
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('refuses a value made with another key with a clear error', () => {
    const other = new SecretCipher(randomBytes(32));
    const sealed = other.encrypt('x');
    expect(() => cipher.decrypt(sealed)).toThrow(SecretDecryptionError);
    expect(() => cipher.decrypt(sealed)).toThrow(/different key/);
  });

  it('refuses tampered and malformed values', () => {
    const sealed = cipher.encrypt('abc');
    const tampered = sealed.slice(0, -3) + (sealed.at(-3) === 'A' ? 'B' : 'A') + sealed.slice(-2);
    expect(() => cipher.decrypt(tampered)).toThrow(SecretDecryptionError);
    expect(() => cipher.decrypt('ENC(v9:abcd)')).toThrow(/not a value made by "herald encrypt-password"/);
    // A password typed inside ENC(...) by mistake is never quoted back.
    for (const secret of ['S3cr3t-Pa55!', 'v9:S3cr3t-Pa55!', 'v1:', 'v1:!!!!', 'v1:AAAA']) {
      let message = '';
      try {
        cipher.decrypt(`ENC(${secret})`);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBeTruthy();
      for (const part of secret.split(':').filter((p) => p.length > 2)) expect(message).not.toContain(part);
    }
    expect(() => cipher.decrypt('ENC(v1:AAAA)')).toThrow(/truncated/);
    expect(() => cipher.decrypt('plain')).toThrow(/not of the form/);
  });

  it('seal() encrypts plain text and keeps an ENC value made with its key', () => {
    const sealed = cipher.seal('plain');
    expect(isEncrypted(sealed)).toBe(true);
    expect(cipher.seal(sealed)).toBe(sealed);
    expect(() => cipher.seal(new SecretCipher(randomBytes(32)).encrypt('x'))).toThrow(/different key/);
  });
});

describe('secret keys', () => {
  it('parses hex and base64 keys of 32 bytes and rejects others', () => {
    const raw = randomBytes(32);
    expect(parseSecretKey(raw.toString('hex'))).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64'))).toEqual(raw);
    expect(() => parseSecretKey('short')).toThrow(/32 bytes/);
  });

  it('creates a private key file once, then reads the same key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'herald-key-')), 'nested', 'secret.key');
    const first = loadSecretKey({ keyFile: file, createIfMissing: true });
    expect(first.createdFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadSecretKey({ keyFile: file, createIfMissing: true });
    expect(second.createdFile).toBeUndefined();
    expect(second.key).toEqual(first.key);
    expect(parseSecretKey(readFileSync(file, 'utf8'))).toEqual(first.key);
  });

  it('prefers the key given in the environment and fails clearly without one', () => {
    const raw = randomBytes(32);
    expect(loadSecretKey({ key: raw.toString('hex'), keyFile: '/nonexistent/k', createIfMissing: false }).key).toEqual(raw);
    expect(() => loadSecretKey({ keyFile: '/nonexistent/k', createIfMissing: false })).toThrow(/HERALD_SECRET_KEY/);
  });
});
