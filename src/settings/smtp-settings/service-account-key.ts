/** A Google service account key file's fields Herald needs (the JSON as downloaded from the console). */
export interface ServiceAccountKey {
  clientEmail: string;
  privateKeyPem: string;
  tokenUrl?: string;
}

/** Reads a service account key file's JSON; names what is missing, never quoting the key. */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new Error('is not a service account key file (JSON expected)');
  }
  const clientEmail = key.client_email;
  const privateKeyPem = key.private_key;
  if (typeof clientEmail !== 'string' || !clientEmail) throw new Error('has no client_email');
  if (typeof privateKeyPem !== 'string' || !privateKeyPem.includes('PRIVATE KEY')) throw new Error('has no private_key');
  return { clientEmail, privateKeyPem, tokenUrl: typeof key.token_uri === 'string' ? key.token_uri : undefined };
}
