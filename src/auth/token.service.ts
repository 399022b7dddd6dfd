import { createSecretKey } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { IsArray, IsEnum, IsOptional, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { Identifier, SingleLineText } from '@herald/contracts';
import { EmailAddress } from '@herald/contracts/address-rules';
import { Clock } from '../clock/clock';
import { formatDuration, parseDuration } from '../config/duration';
import { HeraldConfig } from '../config/herald-config';
import { reasonsOf } from '../config/validation-messages';
import type { Principal } from './principal';
import { Role } from './role.enum';
import { JwtSecret } from './jwt-secret';

/** The claims a bearer token must carry, well-formed: without them it is refused. */
class TokenClaims {
  /**
   * The person's (or service's) id: their externalId, their id in the API, in logs and
   * audit entries. Held to the rule of every other way a person's id comes in (an
   * event's managers, membership and admin inputs: Identifier of 255, which
   * users/external-id names ExternalId), so no white space, CR/LF, NUL, other control
   * or bidirectional control.
   */
  @Identifier({ maxLength: 255 })
  sub: string;

  @IsArray() @IsEnum(Role, { each: true })
  roles: Role[];
}

/**
 * The profile claims: a new person's display name and address (UsersService.ensureUser),
 * and the name audit entries give the caller. Held to the rules of the same fields of
 * updateMyProfile (users/profile/profile-fields.ts: displayName, email). One that breaks
 * them is left out, not the token: a bad claim must not lock its holder out.
 */
class ProfileClaims {
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  name?: string;

  @IsOptional() @EmailAddress()
  email?: string;
}

export class InvalidTokenError extends Error {}

/** Verified tokens remembered at most (oldest forgotten first). */
const VERIFIED_CACHE_SIZE = 10_000;

/** What `sign` gives a token when not told (the CLI's default), unless JWT_MAX_LIFETIME is shorter. */
const DEFAULT_LIFETIME_SECONDS = 12 * 3600;

/** How far ahead of Herald's clock an issuer's may be: an `iat` up to this far in the future still counts as the start. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Signs and verifies bearer tokens. HS256 with a shared secret today; an RS256
 * public key or a JWKS would be another verification key here, nothing else changes.
 * A token must expire (`exp`), and last no longer than JWT_MAX_LIFETIME: Herald cannot
 * revoke a token, so its lifetime bounds what a leaked one is worth.
 */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();
  private readonly maxLifetime: HeraldConfig['jwt']['maxLifetime'];
  private readonly logger = new Logger('Auth');

  constructor(
    secret: JwtSecret,
    config: HeraldConfig,
    private readonly clock: Clock,
  ) {
    this.maxLifetime = config.jwt.maxLifetime;
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

  /**
   * A token for this principal, issued now by Herald's clock, lasting `lifetime` (seconds, or
   * a duration such as `12h`): by default 12h, or JWT_MAX_LIFETIME when shorter. Longer than that is refused.
   */
  sign(principal: Principal, lifetime?: string | number): string {
    const seconds = lifetime === undefined ? Math.min(DEFAULT_LIFETIME_SECONDS, this.maxLifetime.seconds) : typeof lifetime === 'number' ? lifetime : parseDuration(lifetime);
    if (seconds === undefined || !Number.isInteger(seconds) || seconds <= 0) throw new RangeError(`not a lifetime: ${String(lifetime)}`);
    if (seconds > this.maxLifetime.seconds) {
      throw new RangeError(`a lifetime of ${formatDuration(seconds)} is longer than JWT_MAX_LIFETIME allows (${this.maxLifetime.text})`);
    }
    const { sub, roles, name, email } = principal;
    const iat = Math.floor(this.clock.now() / 1000);
    return this.jwt.sign({ roles, name, email, iat }, { subject: sub, expiresIn: seconds });
  }

  /**
   * Verifies a token. Clients send the same token many times, so verified ones are
   * remembered (until they expire) and a repeat costs a map look-up instead of an
   * HMAC, a JSON parse and a claims validation.
   */
  verify(token: string): Principal {
    const now = this.clock.now();
    const known = this.verified.get(token);
    if (known && known.expiresAt > now) return known.principal;
    if (known) this.verified.delete(token);
    const { principal, exp } = this.verifyUncached(token, Math.floor(now / 1000));
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expiresAt: exp * 1000 });
    return principal;
  }

  private verifyUncached(token: string, now: number): { principal: Principal; exp: number } {
    let payload: Record<string, unknown>;
    try {
      // jsonwebtoken checks exp (when there is one) and nbf against Herald's clock, not its own.
      payload = this.jwt.verify(token, { clockTimestamp: now });
    } catch (error) {
      throw new InvalidTokenError((error as Error).message);
    }
    const exp = this.checkLifetime(payload, now);
    const claims = plainToInstance(TokenClaims, payload);
    const errors = validateSync(claims);
    // The rules' messages name what is wrong, never the value.
    if (errors.length) throw new InvalidTokenError(`bad claims: ${errors.map((e) => `${e.property} (${reasonsOf(e).join('; ')})`).join(', ')}`);
    return { principal: { sub: claims.sub, roles: claims.roles, ...this.profileClaims(payload, claims.sub) }, exp };
  }

  /**
   * The token's name and email, less any that breaks its rule — said in a warning that
   * names the claim, the rule and the subject (an id by now: no white space or control),
   * never the value nor the token. Once per token: verified tokens are
   * remembered. An empty name is none (as updateMyProfile clears displayName with "").
   */
  private profileClaims(payload: Record<string, unknown>, sub: string): Pick<Principal, 'name' | 'email'> {
    const claims = plainToInstance(ProfileClaims, { name: payload.name, email: payload.email });
    for (const error of validateSync(claims)) {
      const key = error.property as keyof ProfileClaims;
      claims[key] = undefined;
      // The messages of the text and address rules never hold the value.
      this.logger.warn(`the token's ${key} claim is not used (sub ${sub}): ${reasonsOf(error).join('; ')}`);
    }
    return { name: claims.name || undefined, email: claims.email };
  }

  /** The token's exp, once it is known to be there and within JWT_MAX_LIFETIME of its start (iat, else now). */
  private checkLifetime({ exp, iat }: Record<string, unknown>, now: number): number {
    const max = this.maxLifetime;
    // jsonwebtoken has refused an exp or iat that is not a number.
    if (exp === undefined) throw new InvalidTokenError(`it does not expire (no exp claim): Herald accepts tokens that expire within JWT_MAX_LIFETIME (${max.text})`);
    const issued = typeof iat === 'number' && iat <= now + CLOCK_SKEW_SECONDS;
    const lifetime = (exp as number) - (issued ? (iat as number) : now);
    if (lifetime > max.seconds) {
      throw new InvalidTokenError(`it lasts ${formatDuration(lifetime)} (exp − ${issued ? 'iat' : 'now'}), longer than JWT_MAX_LIFETIME allows (${max.text})`);
    }
    return exp as number;
  }
}
