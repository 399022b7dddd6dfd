import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets (the SMTP password) with AES-256-GCM.
 *
 * Encrypted values travel as `ENC(v1:<base64 of iv | auth tag | ciphertext>)`, the
 * form `herald encrypt-password` prints and the settings store keeps. GCM's tag
 * makes a wrong key fail loudly instead of decrypting to garbage.
 */
export const ENCRYPTED_PREFIX = 'ENC(';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt the secret: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(ENCRYPTED_PREFIX) && value.endsWith(')');
}

/** Parses a key given as 64 hex characters or as base64 of 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`the secret key must be ${KEY_BYTES} bytes, given as 64 hex characters or base64`);
  }
  return key;
}

export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export class SecretCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`the secret key must be ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    return `${ENCRYPTED_PREFIX}${VERSION}:${packed})`;
  }

  decrypt(value: string): string {
    if (!isEncrypted(value)) throw new SecretDecryptionError('the value is not of the form ENC(...)');
    const inner = value.slice(ENCRYPTED_PREFIX.length, -1);
    const [version, packed] = inner.split(':', 2);
    // Never quote any part of the value: it may be the secret itself, mistyped.
    if (version !== VERSION || !packed) throw new SecretDecryptionError(`it is not a value made by "herald encrypt-password" (expected ENC(${VERSION}:…))`);
    const raw = Buffer.from(packed, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError('the value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('it was encrypted with a different key (check HERALD_SECRET_KEY or the key file)');
    }
  }

  /** Accepts a plain value or an ENC(...) one and returns the encrypted form. */
  seal(value: string): string {
    if (isEncrypted(value)) {
      this.decrypt(value); // proves it was made with this key
      return value;
    }
    return this.encrypt(value);
  }
}
