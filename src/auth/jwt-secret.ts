import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { HeraldConfig } from '../config/herald-config';

/** The HS256 secret: JWT_SECRET, or the secret file (generated on the embedded default). */
export class JwtSecret {
  private constructor(readonly value: string) {}

  static load(config: HeraldConfig, logger?: Pick<Logger, 'warn'>): JwtSecret {
    const { secret, secretFile, createIfMissing } = config.jwt;
    if (secret) return new JwtSecret(secret);
    if (existsSync(secretFile)) return new JwtSecret(readFileSync(secretFile, 'utf8').trim());
    if (!createIfMissing) throw new Error(`no token secret: set JWT_SECRET or create ${secretFile}`);
    mkdirSync(dirname(secretFile), { recursive: true });
    const value = randomBytes(48).toString('base64url');
    writeFileSync(secretFile, `${value}\n`, { mode: 0o600, flag: 'wx' });
    logger?.warn(`generated a token secret in ${secretFile}; set JWT_SECRET to share one between processes`);
    return new JwtSecret(value);
  }
}

/**
 * A key of its own for one use of the token secret (HKDF-SHA256, `purpose` as its info: a Message-ID's
 * key never signs a link), as a KeyObject: createHmac given a Buffer builds one on every call (~13 µs, against ~1.6).
 */
export function derivedKey(secret: string, purpose: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', secret, 'herald', purpose, 32)));
}
