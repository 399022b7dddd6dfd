import { isEmail, IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import addressparser from 'nodemailer/lib/addressparser';

/**
 * "One address means one address". A field that holds an email address must
 * hold exactly one, as the mail library that will use it reads it: nodemailer's
 * own parser (addressparser) counts the addresses, and the text must be nothing
 * but that one address (or, for a mailbox, a display name and that address in
 * angle brackets). Lists, groups, comments and names that are themselves
 * addresses — `a@x.test victim@y.test` becomes `"victim@y.test" <a@x.test>`
 * — are refused.
 */

/**
 * What no address or sender holds: C0 and C1 controls, DEL, line and paragraph
 * separators, and every bidirectional formatting character (the marks LRM, RLM
 * and ALM, embeddings, overrides, isolates), which would make an address read
 * other than it is.
 */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A percent route (`victim%y.test@x.test`): a relay that honours it sends the
 * mail on to victim@y.test. No mailbox of ours needs a `%`, so none is taken.
 */
const PERCENT_ROUTE = /%/;

/** Addresses of at most 320 characters (64 local part + @ + 255 domain). */
export const MAX_ADDRESS = 320;

interface Parsed {
  address?: string;
  name?: string;
  group?: unknown;
}

/** The one address addressparser finds in `value`, or undefined if it finds none, several, or a group. */
function onlyAddress(value: string): Parsed | undefined {
  const parsed = addressparser(value) as Parsed[];
  if (parsed.length !== 1 || parsed[0].group || !parsed[0].address) return undefined;
  const address = parsed[0].address;
  if (PERCENT_ROUTE.test(address.slice(0, address.lastIndexOf('@')))) return undefined;
  return isEmail(parsed[0].address, { require_tld: false, allow_ip_domain: true }) ? parsed[0] : undefined;
}

/** `addr@host`: exactly one bare address, nothing else. */
export function isEmailAddress(value: unknown): boolean {
  if (typeof value !== 'string' || FORBIDDEN.test(value)) return false;
  const only = onlyAddress(value);
  return !!only && !only.name && only.address === value;
}

/**
 * `addr@host` or `Display Name <addr@host>` (the name may be quoted): one
 * address, and a name that holds no address and no angle bracket.
 */
export function isMailbox(value: unknown): boolean {
  if (typeof value !== 'string' || FORBIDDEN.test(value)) return false;
  const trimmed = value.trim();
  const only = onlyAddress(trimmed);
  if (!only) return false;
  if (!only.name) return trimmed === only.address || trimmed === `<${only.address}>`;
  const angle = `<${only.address}>`;
  const brackets = trimmed.split('<').length - 1 + (trimmed.split('>').length - 1);
  return trimmed.endsWith(angle) && brackets === 2 && !/[@<>]/.test(only.name);
}

// Each rule answers with one message: line breaks, other control characters and
// bidirectional formatting characters, which no address holds, are refused by the
// address check itself.

/** One email address, `addr@host` (a person's address, a test mail's recipient). */
export function EmailAddress(options?: ValidationOptions): PropertyDecorator {
  const rules = [
    IsString(),
    MaxLength(MAX_ADDRESS),
    ValidateBy({ name: 'isEmailAddress', validator: { validate: (v: unknown) => typeof v !== 'string' || isEmailAddress(v) } }, {
      message: 'must be an email address',
      ...options,
    }),
  ];
  return (target, key) => rules.forEach((rule) => rule(target, key));
}

/** One mailbox, `addr@host` or `Display Name <addr@host>` (a sender). */
export function Mailbox(options?: ValidationOptions): PropertyDecorator {
  const rules = [
    IsString(),
    MaxLength(MAX_ADDRESS),
    ValidateBy({ name: 'isMailbox', validator: { validate: (v: unknown) => typeof v !== 'string' || isMailbox(v) } }, {
      message: 'must be one email address, optionally with a display name',
      ...options,
    }),
  ];
  return (target, key) => rules.forEach((rule) => rule(target, key));
}
