import { isEncrypted, type SecretCipher, SecretDecryptionError } from '@herald/crypto';
import type { FieldProblem } from '../graphql/graphql-errors';

/**
 * A secret of the settings as it is stored: encrypted. Given plain or as ENC(...);
 * empty or null clears it; the secret already stored, given again, is kept as it is
 * (not a change). `check` reads the plain value (a service account key's shape). A
 * value that cannot be used is a problem of `field` (never quoting it), and null.
 */
export function sealSecret(cipher: SecretCipher, field: string, value: string | null, stored: string | null, problems: FieldProblem[], check?: (plain: string) => unknown): string | null {
  if (!value) return null;
  try {
    const plain = isEncrypted(value) ? cipher.decrypt(value) : value;
    check?.(plain);
    if (stored && storedEquals(cipher, stored, plain)) return stored;
    return cipher.seal(value);
  } catch (error) {
    const message = error instanceof SecretDecryptionError ? `the ENC(...) value ${error.message.replace(/^cannot decrypt the secret: /, 'cannot be decrypted: ')}` : (error as Error).message;
    problems.push({ field, message });
    return null;
  }
}

/** Whether the stored secret is `plain` (false when this server's key cannot read it: then it is replaced). */
function storedEquals(cipher: SecretCipher, stored: string, plain: string): boolean {
  try {
    return cipher.decrypt(stored) === plain;
  } catch {
    return false;
  }
}
