import { createPrivateKey, X509Certificate } from 'node:crypto';
import { registerDecorator, ValidationOptions, isFQDN, isIP, isURL } from 'class-validator';

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

/** Line breaks and every other control character: none belongs in a host name or a URL. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A DNS host name or an IPv4/IPv6 address. */
export const IsHostName = rule(
  'isHostName',
  'must be a host name or an IP address',
  (v) =>
    typeof v === 'string' &&
    v.length <= 253 &&
    !CONTROL.test(v) &&
    (isIP(v) || isFQDN(v, { require_tld: false, allow_underscores: true, allow_trailing_dot: true })),
);

// Plain text (no control characters) and email addresses follow the rules shared by
// every input: libs/contracts/src/text-rules.ts and address-rules.ts.

/** An http(s) URL. */
export const IsHttpUrl = rule(
  'isHttpUrl',
  'must be an http:// or https:// URL',
  (v) => typeof v === 'string' && !CONTROL.test(v) && isURL(v, { protocols: ['http', 'https'], require_protocol: true, require_tld: false }),
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

/** A PEM private key that parses, or an ENC(...) value (checked when it is decrypted). Never quoted. */
export const IsPemPrivateKey = rule('isPemPrivateKey', 'must be a PEM private key (-----BEGIN PRIVATE KEY-----) or ENC(...)', (v) => {
  if (typeof v !== 'string') return false;
  if (/^ENC\(.*\)$/s.test(v.trim())) return true;
  try {
    createPrivateKey(v);
    return true;
  } catch {
    return false;
  }
});
