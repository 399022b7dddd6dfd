import { X509Certificate } from 'node:crypto';
import { registerDecorator, ValidationOptions, isEmail, isFQDN, isIP, isURL } from 'class-validator';
import addressparser from 'nodemailer/lib/addressparser';

function rule(name: string, message: string, test: (value: unknown) => boolean) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message, ...options },
        validator: { validate: test },
      });
}

const LINE_BREAK = /[\r\n]/;

/** A DNS host name or an IPv4/IPv6 address. */
export const IsHostName = rule(
  'isHostName',
  'must be a host name or an IP address',
  (v) =>
    typeof v === 'string' &&
    v.length <= 253 &&
    (isIP(v) || isFQDN(v, { require_tld: false, allow_underscores: true, allow_trailing_dot: true })),
);

/** Exactly one mailbox, `addr@host` or `Display Name <addr@host>`. */
export const IsSingleMailbox = rule('isSingleMailbox', 'must be one email address, optionally with a display name', (v) => {
  if (typeof v !== 'string' || LINE_BREAK.test(v)) return false;
  const parsed = addressparser(v);
  if (parsed.length !== 1) return false;
  const [only] = parsed as Array<{ address?: string; group?: unknown }>;
  return !only.group && !!only.address && isEmail(only.address, { require_tld: false, allow_ip_domain: true });
});

/** No CR or LF: nothing that could split an SMTP command or a mail header. */
export const HasNoLineBreaks = rule('hasNoLineBreaks', 'must not contain line breaks', (v) => typeof v !== 'string' || !LINE_BREAK.test(v));

/** An http(s) URL. */
export const IsHttpUrl = rule(
  'isHttpUrl',
  'must be an http:// or https:// URL',
  (v) => typeof v === 'string' && !LINE_BREAK.test(v) && isURL(v, { protocols: ['http', 'https'], require_protocol: true, require_tld: false }),
);

/** One or more PEM certificates that parse. */
export const IsPemCertificate = rule('isPemCertificate', 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)', (v) => {
  if (typeof v !== 'string' || !v.includes('-----BEGIN CERTIFICATE-----')) return false;
  try {
    new X509Certificate(v);
    return true;
  } catch {
    return false;
  }
});
