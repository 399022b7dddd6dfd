// nodemailer's MimeNode is not part of its documented API (it is what its own
// MailComposer builds messages with). It is used here alone; mime-message.spec.ts
// fails loudly if nodemailer moves or changes it. It is kept over composing through
// nodemailer's public message options because a fan-out encodes the body once for
// all recipients and only the header block per recipient (see docs/pipeline.md).
import MimeNode from 'nodemailer/lib/mime-node';

/** A multipart/alternative body (text and HTML), encoded once and shared by every recipient's message. */
export interface EncodedBody {
  /** The multipart/alternative type, with the boundary that `body` uses. */
  contentType: string;
  /** Everything after the header block: the text and HTML parts, encoded. */
  body: Buffer;
}

/** A message ready for the relay: its envelope and its bytes. */
export interface EncodedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

/** One header; the value of `To` may be an address object, which is then encoded (RFC 2047) with its name. */
export interface MailHeader {
  key: string;
  value: string | { name: string; address: string };
}

/**
 * Encodes the text and HTML parts; `tag` makes the MIME boundary (stable for the same tag).
 * The parts are 7bit or quoted-printable, never base64, so that a placeholder of
 * letters, digits, `-` and `_` stays readable in the bytes (`replacePlaceholder`).
 */
export async function encodeAlternative(tag: string, text: string, html: string): Promise<EncodedBody> {
  const contentType = `multipart/alternative; boundary="--_Herald-${tag}"`;
  const message = new MimeNode(contentType, { baseBoundary: tag });
  message.setHeader('Message-ID', `<${tag}@herald.invalid>`); // its headers are dropped: spare MimeNode making one up
  message.createChild('text/plain; charset=utf-8', { baseBoundary: tag, textEncoding: 'Q' }).setContent(text);
  message.createChild('text/html; charset=utf-8', { baseBoundary: tag, textEncoding: 'Q' }).setContent(html);
  const built = await message.build();
  // The header block ends at the first empty line (RFC 5322 §2.1).
  return { contentType, body: built.subarray(built.indexOf('\r\n\r\n') + 4) };
}

/** An encoded body under a header block of its own (From, To, Subject…, encoded as needed); the envelope follows From and To. */
export function withHeaders(encoded: EncodedBody, tag: string, headers: MailHeader[]): EncodedMessage {
  const root = new MimeNode(encoded.contentType, { baseBoundary: tag });
  // nodemailer takes an address object as a header value, though its types only admit strings.
  root.setHeader(headers as { key: string; value: string }[]);
  const raw = Buffer.concat([Buffer.from(`${root.buildHeaders()}\r\n\r\n`), encoded.body]);
  return { envelope: root.getEnvelope() as EncodedMessage['envelope'], raw };
}

/** Where a placeholder's characters are in an encoded body, found once per body and placeholder. */
const placeholderOffsets = new WeakMap<Buffer, { placeholder: string; offsets: number[] }>();

/**
 * The encoded body with every occurrence of `placeholder` replaced by `value`, of
 * the same length and, like it, of letters, digits, `-` and `_` only (quoted-printable
 * writes those as they are). Quoted-printable may have broken the placeholder with
 * soft line breaks (`=` CRLF); the value is broken at the same places, so every
 * line keeps its length. This is what lets one encoded body carry each recipient's
 * own link (a signed token) without encoding it again per recipient: the
 * placeholder is looked for once per body, then each recipient costs a copy.
 */
export function replacePlaceholder(body: Buffer, placeholder: string, value: string): Buffer {
  if (value.length !== placeholder.length || !/^[A-Za-z0-9_-]*$/.test(value + placeholder)) {
    throw new Error('a placeholder and its value must have the same length and hold only letters, digits, - and _');
  }
  let found = placeholderOffsets.get(body);
  if (found?.placeholder !== placeholder) {
    found = { placeholder, offsets: findPlaceholder(body, placeholder) };
    placeholderOffsets.set(body, found);
  }
  if (!found.offsets.length) return body;
  const copy = Buffer.from(body);
  found.offsets.forEach((offset, i) => (copy[offset] = value.charCodeAt(i % value.length)));
  return copy;
}

/** The offset of each character of each occurrence, soft line breaks skipped. */
function findPlaceholder(body: Buffer, placeholder: string): number[] {
  const pattern = new RegExp(placeholder.split('').join('(?:=\r\n)?'), 'g');
  const offsets: number[] = [];
  for (const match of body.toString('latin1').matchAll(pattern)) { // latin1: byte for byte (the encoded body is ASCII)
    for (let i = 0; i < match[0].length; i++) if (/[A-Za-z0-9_-]/.test(match[0][i])) offsets.push(match.index + i);
  }
  return offsets;
}
