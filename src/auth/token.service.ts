import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { IsArray, IsEmail, IsEnum, IsOptional, IsString, MaxLength, MinLength, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { HeraldConfig } from '../config/herald-config';
import type { Principal } from './principal';
import { Role } from './role.enum';
import { JwtSecret } from './jwt-secret';

/** The claims Herald reads from a bearer token. */
class TokenClaims {
  @IsString() @MinLength(1) @MaxLength(255)
  sub: string;

  @IsArray() @IsEnum(Role, { each: true })
  roles: Role[];

  @IsOptional() @IsString() @MaxLength(255)
  name?: string;

  @IsOptional() @IsEmail()
  email?: string;
}

export class InvalidTokenError extends Error {}

/** Verified tokens remembered at most (oldest forgotten first). */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Signs and verifies bearer tokens. HS256 with a shared secret today; an RS256
 * public key or a JWKS would be another verification key here, nothing else changes.
 */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(secret: JwtSecret, config: HeraldConfig) {
    // jsonwebtoken refuses undefined options, so only the ones that are set are passed.
    const { issuer, audience } = config.jwt;
    const claims = { ...(issuer && { issuer }), ...(audience && { audience }) };
    this.jwt = new JwtService({
      // A KeyObject, not the string: jsonwebtoken otherwise re-derives the key on every
      // call, first trying (and failing) to parse it as a public key — 9% of a request.
      secret: createSecretKey(Buffer.from(secret.value)),
      signOptions: { algorithm: 'HS256', ...claims },
      verifyOptions: { algorithms: ['HS256'], ...claims },
    });
  }

  sign(principal: Principal, expiresIn: string | number = '12h'): string {
    const { sub, roles, name, email } = principal;
    return this.jwt.sign({ roles, name, email }, { subject: sub, expiresIn: expiresIn as never });
  }

  /**
   * Verifies a token. Clients send the same token many times, so verified ones are
   * remembered (until they expire) and a repeat costs a map look-up instead of an
   * HMAC, a JSON parse and a claims validation.
   */
  verify(token: string): Principal {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.principal;
    if (known) this.verified.delete(token);
    const principal = this.verifyUncached(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expiresAt: this.expiryOf(token) });
    return principal;
  }

  private expiryOf(token: string): number {
    const { exp } = this.jwt.decode<{ exp?: number }>(token);
    return typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY;
  }

  private verifyUncached(token: string): Principal {
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify(token);
    } catch (error) {
      throw new InvalidTokenError((error as Error).message);
    }
    const claims = plainToInstance(TokenClaims, payload);
    const errors = validateSync(claims);
    if (errors.length) throw new InvalidTokenError(`bad claims: ${errors.map((e) => e.property).join(', ')}`);
    return { sub: claims.sub, roles: claims.roles, name: claims.name, email: claims.email };
  }
}
