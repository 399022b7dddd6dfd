import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { derivedKey } from '../../auth/jwt-secret';

/** Bytes of a token: the delivery id (8, big-endian), the expiry (4, Unix seconds) and the HMAC of both (16). */
const ID_BYTES = 8;
const SIGNED_BYTES = ID_BYTES + 4;
const MAC_BYTES = 16;

/**
 * Every token has this many characters (base64url of 28 bytes): a mail's body is
 * encoded once for all its recipients with a placeholder of the same length, which
 * each recipient's token replaces byte for byte (src/smtp/mime-message.ts).
 */
export const LINK_TOKEN_LENGTH = Math.ceil(((SIGNED_BYTES + MAC_BYTES) * 4) / 3);

export type LinkCheck =
  | { ok: true; deliveryId: number; expiresAt: Date }
  /** Not a token Herald signed (tampered, truncated, another key). */
  | { ok: false; reason: 'invalid' }
  /** Signed, but too old: its delivery still says whose it was (the answer is in their language). */
  | { ok: false; reason: 'expired'; deliveryId: number };

/**
 * The signed part of the links in a mail: which delivery (so which person, event
 * type and application) and until when, under an HMAC-SHA256 whose key is derived
 * (HKDF) from Herald's token secret — no secret of its own to keep, and changing
 * JWT_SECRET voids every link. The token says nothing readable: the person, type
 * and application are read from the delivery it names.
 */
export class LinkTokens {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = derivedKey(secret, 'herald preference links v1');
  }

  sign(deliveryId: number, expiresAt: Date): string {
    const signed = Buffer.alloc(SIGNED_BYTES);
    signed.writeBigUInt64BE(BigInt(deliveryId), 0);
    signed.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), ID_BYTES);
    return Buffer.concat([signed, this.mac(signed)]).toString('base64url');
  }

  /** Whether the token is one Herald signed, and still valid at `now`. */
  verify(token: unknown, now: Date): LinkCheck {
    if (typeof token !== 'string' || token.length !== LINK_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'invalid' };
    const bytes = Buffer.from(token, 'base64url');
    const signed = bytes.subarray(0, SIGNED_BYTES);
    // base64url of 28 bytes leaves 2 spare bits: the re-encoding must give the token back, or it was altered there.
    if (bytes.length !== SIGNED_BYTES + MAC_BYTES || bytes.toString('base64url') !== token) return { ok: false, reason: 'invalid' };
    if (!timingSafeEqual(bytes.subarray(SIGNED_BYTES), this.mac(signed))) return { ok: false, reason: 'invalid' };
    const expiresAt = new Date(signed.readUInt32BE(ID_BYTES) * 1000);
    const deliveryId = Number(signed.readBigUInt64BE(0));
    if (expiresAt <= now) return { ok: false, reason: 'expired', deliveryId };
    return { ok: true, deliveryId, expiresAt };
  }

  private mac(signed: Buffer): Buffer {
    return createHmac('sha256', this.key).update(signed).digest().subarray(0, MAC_BYTES);
  }
}
