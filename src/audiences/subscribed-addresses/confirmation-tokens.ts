import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { derivedKey } from '../../auth/jwt-secret';

/** Bytes of a token: the subscription id (8), the expiry (4, Unix seconds), the subscription's nonce (12) and the HMAC of all three (16). */
const SIGNED_BYTES = 8 + 4 + 12;
const MAC_BYTES = 16;

export type ConfirmationCheck = { ok: true; subscriptionId: number; nonce: string } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * The signed part of a subscription's confirmation link: which subscription, its
 * nonce (a new one with each confirmation mail, so only the latest link works)
 * and until when, under an HMAC-SHA256 keyed from Herald's token secret (HKDF,
 * its own label: a preferences link's token is never a confirmation's).
 */
export class ConfirmationTokens {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = derivedKey(secret, 'herald subscription confirmation v1');
  }

  /** `nonce`: 16 base64url characters (12 bytes). */
  sign(subscriptionId: number, nonce: string, expiresAt: Date): string {
    const signed = Buffer.alloc(SIGNED_BYTES);
    signed.writeBigUInt64BE(BigInt(subscriptionId), 0);
    signed.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), 8);
    Buffer.from(nonce, 'base64url').copy(signed, 12);
    return Buffer.concat([signed, this.mac(signed)]).toString('base64url');
  }

  verify(token: unknown, now: Date): ConfirmationCheck {
    if (typeof token !== 'string' || token.length > 64 || !/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'invalid' };
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== SIGNED_BYTES + MAC_BYTES || bytes.toString('base64url') !== token) return { ok: false, reason: 'invalid' };
    const signed = bytes.subarray(0, SIGNED_BYTES);
    if (!timingSafeEqual(bytes.subarray(SIGNED_BYTES), this.mac(signed))) return { ok: false, reason: 'invalid' };
    if (signed.readUInt32BE(8) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, subscriptionId: Number(signed.readBigUInt64BE(0)), nonce: signed.subarray(12).toString('base64url') };
  }

  private mac(signed: Buffer): Buffer {
    return createHmac('sha256', this.key).update(signed).digest().subarray(0, MAC_BYTES);
  }
}
