import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSecretKey, parseSecretKey } from './secret-cipher';

export interface SecretKeySource {
  /** The key itself (HERALD_SECRET_KEY), if given. */
  key?: string;
  /** A file holding the key (HERALD_SECRET_KEY_FILE). */
  keyFile: string;
  /** Create the key file when it does not exist (the embedded default). */
  createIfMissing: boolean;
}

export interface LoadedSecretKey {
  key: Buffer;
  /** Set when the key file was created by this call: the caller warns to back it up. */
  createdFile?: string;
}

/** Reads the encryption key from the environment value or the key file. */
export function loadSecretKey(source: SecretKeySource): LoadedSecretKey {
  if (source.key) return { key: parseSecretKey(source.key) };
  if (existsSync(source.keyFile)) return { key: parseSecretKey(readFileSync(source.keyFile, 'utf8')) };
  if (!source.createIfMissing) {
    throw new Error(`no secret key: set HERALD_SECRET_KEY or create the key file ${source.keyFile}`);
  }
  mkdirSync(dirname(source.keyFile), { recursive: true });
  const text = generateSecretKey();
  writeFileSync(source.keyFile, `${text}\n`, { mode: 0o600, flag: 'wx' });
  return { key: parseSecretKey(text), createdFile: source.keyFile };
}
