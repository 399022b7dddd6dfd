// nodemailer's MimeNode is not part of its documented API (it is what its own
// MailComposer builds messages with). It is used here alone; mime-message.spec.ts
// fails loudly if nodemailer moves or changes it. It is kept over composing through
// nodemailer's public message options because a fan-out encodes the body once for
// all recipients and only the header block per recipient (see docs/pipeline.md).
import { foldLines, hasLongerLines, isPlainText } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import { encode, wrap } from 'nodemailer/lib/qp';

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
 *
 * The bytes are those MimeNode.build() writes for this tree (mime-message.spec.ts
 * compares them), but written synchronously and without a MimeNode per part: build()
 * streams each part through stream pipelines with setImmediate hops (an AbortController
 * per pipeline), and even building the three nodes showed in CPU profiles of one mail
 * per event. MimeNode's own rules are followed: the boundary is the one the type names,
 * a part's transfer encoding is decided as its setContent() and getTransferEncoding()
 * decide it, and each kind of part's header block is one a MimeNode wrote (`partHeaders`).
 */
export function encodeAlternative(tag: string, text: string, html: string): EncodedBody {
  const boundary = `--_Herald-${tag}`;
  const contentType = `multipart/alternative; boundary="${boundary}"`;
  // As MimeNode.stream() writes a multipart node without content: each child after
  // its delimiter, then the close delimiter (which also ends the body with the line
  // break build() makes sure of).
  const chunks = [
    [TEXT_PART, text],
    [HTML_PART, html],
  ].map(([type, content], i) => {
    const encoding = transferEncoding(content);
    return `${i ? '\r\n' : ''}--${boundary}\r\n${partHeaders(type, encoding)}\r\n\r\n${encoding === 'quoted-printable' ? quotedPrintable(Buffer.from(content)) : content}`;
  });
  return { contentType, body: Buffer.from(`${chunks.join('')}\r\n--${boundary}--\r\n`) };
}

/** An image a mail's HTML shows by its Content-ID (`<img src="cid:…">`), carried in the message itself. */
export interface InlineImage {
  contentType: string;
  data: Buffer;
  /** Its Content-ID, without the angle brackets. */
  cid: string;
  filename: string;
}

/**
 * The text and HTML parts (an encodeAlternative body) with images the HTML shows
 * inline, as multipart/related (RFC 2387): the alternative first, then each image,
 * base64, with its Content-ID. The alternative's bytes are kept as they are, so a
 * placeholder in them is still replaced per recipient (`replacePlaceholder`).
 */
export function encodeRelated(tag: string, alternative: EncodedBody, images: readonly InlineImage[]): EncodedBody {
  const boundary = `--_Herald-related-${tag}`;
  const contentType = `multipart/related; type="multipart/alternative"; boundary="${boundary}"`;
  const head = Buffer.from(`--${boundary}\r\nContent-Type: ${foldLines(`Content-Type: ${alternative.contentType}`, 76).slice('Content-Type: '.length)}\r\n\r\n`);
  const parts = images.map((image) => {
    const base64 = image.data.toString('base64').replace(/.{76}(?=.)/g, '$&\r\n');
    const name = image.filename.replace(/[^A-Za-z0-9._-]/g, '_');
    return `\r\n--${boundary}\r\nContent-Type: ${image.contentType}; name=${name}\r\nContent-ID: <${image.cid}>\r\nContent-Disposition: inline; filename=${name}\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}`;
  });
  return { contentType, body: Buffer.concat([head, alternative.body, Buffer.from(`${parts.join('')}\r\n--${boundary}--\r\n`)]) };
}

const TEXT_PART = 'text/plain; charset=utf-8';
const HTML_PART = 'text/html; charset=utf-8';
type TransferEncoding = false | '7bit' | 'quoted-printable';

/**
 * A text part's transfer encoding as a MimeNode with textEncoding 'Q' decides it for a
 * string: none for no content (nor any content written), 7bit for plain text with no
 * line over 76 characters, else quoted-printable (base64 only for other textEncodings).
 */
function transferEncoding(content: string): TransferEncoding {
  if (!content) return false;
  return isPlainText(content) && !hasLongerLines(content, 76) ? '7bit' : 'quoted-printable';
}

/** Content that a MimeNode gives each transfer encoding, to have it write that header block. */
const SAMPLES: Record<string, string> = { false: '', '7bit': 'a', 'quoted-printable': '\u00e9' };
const partHeaderBlocks = new Map<string, string>();

/**
 * The header block a MimeNode writes for a child part of this type and transfer
 * encoding (Content-Type, Content-Transfer-Encoding): the same for every message, so
 * written once by a MimeNode, which is also asked whether it agrees on the encoding.
 */
function partHeaders(type: string, encoding: TransferEncoding): string {
  const key = `${type}\n${encoding}`;
  let block = partHeaderBlocks.get(key);
  if (block === undefined) {
    const root = new MimeNode('multipart/alternative; boundary="b"') as unknown as PartNode;
    const part = root.createChild(type, { textEncoding: 'Q' }).setContent(SAMPLES[String(encoding)]);
    if (part.getTransferEncoding() !== encoding) throw new Error(`MimeNode no longer writes ${type} as ${encoding}`);
    block = part.buildHeaders();
    partHeaderBlocks.set(key, block);
  }
  return block;
}

/**
 * The MimeNode API partHeaders uses: nodemailer's types admit no options to
 * createChild and no getTransferEncoding().
 */
interface PartNode {
  createChild(contentType: string, options: { textEncoding: 'Q' }): PartNode;
  setContent(content: string): PartNode;
  getTransferEncoding(): string | false;
  buildHeaders(): string;
}

/** qp's ENCODE_SLICE_SIZE: its Encoder encodes and wraps its input this many bytes at a time. */
const QP_SLICE = 64 * 1024;
const isBlank = (byte: number) => byte === 0x20 || byte === 0x09;

/**
 * What nodemailer's qp Encoder transform (lineLength 76, not binary: a text part)
 * writes for content that comes as one chunk, with its own encode and wrap: the
 * wrapping goes slice by slice, the last unfinished line carried over, and the
 * blanks the content ends with are held back and encoded last. Wrapping the whole
 * at once can break lines elsewhere, so the same steps are taken here.
 */
function quotedPrintable(content: Buffer): string {
  let end = content.length;
  while (end > 0 && isBlank(content[end - 1])) end--;
  const held = content.length - end <= QP_SLICE; // the Encoder holds back only so much
  let done = '';
  let line = '';
  const encodeSlices = (bytes: Buffer) => {
    for (let start = 0; start < bytes.length; start += QP_SLICE) {
      const stop = Math.min(start + QP_SLICE, bytes.length);
      let qp = encode(bytes.subarray(start, stop));
      // encode() takes a slice's last blank to end the input (and encodes it); the
      // Encoder tells it what follows, and keeps it as is unless a line break follows.
      const last = bytes[stop - 1];
      if (stop < bytes.length && isBlank(last) && bytes[stop] !== 0x0a && bytes[stop] !== 0x0d) qp = qp.slice(0, -3) + String.fromCharCode(last);
      const wrapped = wrap(line + qp, 76);
      const lastLineFeed = wrapped.lastIndexOf('\n');
      done += wrapped.slice(0, lastLineFeed + 1);
      line = wrapped.slice(lastLineFeed + 1);
    }
  };
  encodeSlices(held ? content.subarray(0, end) : content);
  if (held) encodeSlices(content.subarray(end));
  return done + line;
}

/**
 * An encoded body under a header block of its own (From, To, Subject…, encoded as
 * needed); the envelope follows From and To. The header block is what a MimeNode
 * of `encoded.contentType` with these headers writes — the given headers in order
 * (keys normalised, a repeated key replacing the first), then Date, MIME-Version
 * and Content-Type — encoded by nodemailer's own encoders, but without building a
 * MimeNode per recipient: the Content-Type line is encoded once per body type, and
 * a header whose value is the one the last message had (From, Subject, List-Id…
 * for every recipient of the same mail) is not encoded again. Headers that the
 * MimeNode itself writes or adds (Content-*, Date, MIME-Version, Bcc, a missing
 * Message-ID) or reads apart (no From) go through a MimeNode as before. `date`
 * (epoch ms, the caller's Clock) is the Date header's time.
 */
export function withHeaders(encoded: EncodedBody, tag: string, headers: MailHeader[], date: number): EncodedMessage {
  const fields = byKey(headers);
  if (!fields?.has('From') || !fields.has('Message-ID')) return throughMimeNode(encoded, tag, headers, date);
  const lines: string[] = [];
  const to: string[] = [];
  let from = '';
  for (const [key, value] of fields) {
    const field = encodedField(key, value);
    if (field.line) lines.push(field.line);
    if (key === 'From') from = field.addresses?.[0] ?? '';
    else if (field.addresses) for (const address of field.addresses) if (!to.includes(address)) to.push(address);
  }
  lines.push(dateLine(date), 'MIME-Version: 1.0', contentTypeLine(encoded.contentType, tag));
  lines.push('', '');
  return { envelope: { from, to }, raw: Buffer.concat([Buffer.from(lines.join('\r\n')), encoded.body]) };
}

/** The header block through a MimeNode (headers the fast path leaves to it; also what it is checked against); Date at `date` unless a header gives it. */
export function throughMimeNode(encoded: EncodedBody, tag: string, headers: MailHeader[], date: number): EncodedMessage {
  const root = mimeNode(encoded.contentType, tag);
  root.date = new Date(date); // what buildHeaders writes when no Date header is given (it would take the wall clock)
  root.setHeader(headers);
  const raw = Buffer.concat([Buffer.from(`${root.buildHeaders()}\r\n\r\n`), encoded.body]);
  const envelope = root.getEnvelope();
  return { envelope: { from: envelope.from || '', to: envelope.to }, raw };
}

/**
 * The MimeNode API used here, some of it internal (address parsing and key
 * normalisation, as its own buildHeaders and getEnvelope use them). nodemailer's
 * types admit none of the internals and type a missing envelope sender as `false`:
 * this and PartNode above are the casts. mime-message.spec.ts fails if nodemailer changes them.
 */
interface HeaderEncoder {
  /** A root node's time for its Date header (set to the wall clock when the node is made). */
  date: Date;
  setHeader(headers: MailHeader[]): void;
  buildHeaders(): string;
  getEnvelope(): { from: string | false; to: string[] };
  encodeHeaderValue(key: string, value: MailHeader['value']): string;
  _normalizeHeaderKey(key: string): string;
  _parseAddresses(value: MailHeader['value']): unknown[];
  /** Encodes addresses for a header, and appends each address (once) to `list`. */
  _convertAddresses(addresses: unknown[], list: { address: string }[]): string;
}

function mimeNode(contentType?: string, tag?: string): HeaderEncoder {
  return new MimeNode(contentType, tag ? { baseBoundary: tag } : {}) as unknown as HeaderEncoder;
}

/** Encodes header values; never builds a message. */
const encoder = mimeNode();
/**
 * Its key normalisation remembered per key: MimeNode runs a chain of regular
 * expressions (one with a callback) over the key for every value it encodes, the
 * same few keys for every message.
 */
encoder._normalizeHeaderKey = normalizedKey;

/** Keys a root MimeNode writes itself or treats apart (they go through a MimeNode). */
const OWN_KEYS = new Set(['Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition', 'Date', 'MIME-Version', 'Bcc']);
/** Address headers: encoded as addresses, and the envelope's (From: its sender; To and Cc: its recipients). */
const ADDRESS_KEYS = new Set(['From', 'Sender', 'To', 'Cc', 'Reply-To']);
const ENVELOPE_KEYS = new Set(['From', 'To', 'Cc']);

const normalizedKeys = new Map<string, string>();

/** A header key as MimeNode normalises it (its own method), once per key. */
function normalizedKey(key: string): string {
  let normalized = normalizedKeys.get(key);
  if (normalized === undefined) {
    if (normalizedKeys.size > 1000) normalizedKeys.clear();
    normalizedKeys.set(key, (normalized = (MimeNode.prototype as unknown as HeaderEncoder)._normalizeHeaderKey.call(encoder, key)));
  }
  return normalized;
}

/** The headers by normalised key, as MimeNode.setHeader keeps them; undefined if one is for a MimeNode to write (or an object not an address). */
function byKey(headers: MailHeader[]): Map<string, MailHeader['value']> | undefined {
  const fields = new Map<string, MailHeader['value']>();
  for (const { key, value } of headers) {
    const normalized = normalizedKey(key);
    if (OWN_KEYS.has(normalized) || (typeof value === 'object' && !ADDRESS_KEYS.has(normalized))) return undefined;
    fields.set(normalized, value);
  }
  return fields;
}

interface EncodedField {
  /** The folded header line; empty for an empty value (not written). */
  line: string;
  /** An address header's addresses, normalised (punycode…) as in the envelope. */
  addresses?: string[];
}

/** The last value of each key and its encoding: the headers every recipient of a mail shares are encoded once. */
const lastFields = new Map<string, { value: string; field: EncodedField }>();

function encodedField(key: string, value: MailHeader['value']): EncodedField {
  if (typeof value !== 'string' || key === 'To') return recipientField(key, value); // the recipient's own
  const last = lastFields.get(key);
  if (last?.value === value) return last.field;
  const field = encodeField(key, value);
  if (lastFields.size > 100 && !last) lastFields.clear();
  lastFields.set(key, { value, field });
  return field;
}

/**
 * Recipients' headers (To, an address object) by key and value: a person's To line is
 * the same in every mail to them, and the same people receive the mails of many events
 * (parsing and punycoding the address was most of a header block's time). Forgotten
 * all at once past RECIPIENT_FIELDS.
 */
const recipientFields = new Map<string, EncodedField>();
const RECIPIENT_FIELDS = 10_000;

function recipientField(key: string, value: MailHeader['value']): EncodedField {
  // A normalised key holds no colon; a name's length keeps name and address apart.
  const id = typeof value === 'string' ? `s${key}:${value}` : `o${key}:${value.name.length}:${value.name}${value.address}`;
  let field = recipientFields.get(id);
  if (!field) {
    if (recipientFields.size >= RECIPIENT_FIELDS) recipientFields.clear();
    recipientFields.set(id, (field = encodeField(key, value)));
  }
  return field;
}

/** As MimeNode.buildHeaders writes one header (and getEnvelope reads it). */
function encodeField(key: string, value: MailHeader['value']): EncodedField {
  let addresses: string[] | undefined;
  let encoded: string;
  if (ADDRESS_KEYS.has(key)) {
    const list: { address: string }[] = [];
    encoded = encoder._convertAddresses(encoder._parseAddresses(value), list);
    if (ENVELOPE_KEYS.has(key)) addresses = list.map((a) => a.address);
  } else encoded = encoder.encodeHeaderValue(key, value);
  return { line: encoded.trim() ? foldLines(`${key}: ${encoded}`, 76) : '', addresses };
}

/** Date at `now` (epoch ms), as a root MimeNode writes it when none is given; encoded once a second. */
let lastDate = { second: NaN, line: '' };
function dateLine(now: number): string {
  const second = Math.floor(now / 1000);
  if (lastDate.second !== second) {
    lastDate = { second, line: foldLines(`Date: ${encoder.encodeHeaderValue('Date', new Date(now).toUTCString().replace(/GMT/, '+0000'))}`, 76) };
  }
  return lastDate.line;
}

/** The Content-Type line a MimeNode writes for this type (its boundary parameter and all), once per body type. */
const contentTypeLines = new Map<string, string>();
/** The last message's line: every recipient of a mail has the same type and tag. */
let lastContentType = { contentType: '', tag: '', line: '' };
function contentTypeLine(contentType: string, tag: string): string {
  const last = lastContentType;
  if (last.contentType === contentType && last.tag === tag && last.line) return last.line;
  const line = contentTypeLineOfTag(contentType, tag);
  lastContentType = { contentType, tag, line };
  return line;
}

function contentTypeLineOfTag(contentType: string, tag: string): string {
  // A mail per event has a tag of its own: the line is written for a stand-in of the same
  // length and kind of characters (letters and digits: a token, which MimeNode neither
  // quotes differently nor folds inside), and the tag put back in its place.
  const standIn = /^[A-Za-z0-9]+$/.test(tag) ? '0'.repeat(tag.length) : tag;
  const type = standIn === tag ? contentType : contentType.replaceAll(tag, standIn);
  const key = `${standIn}\n${type}`;
  let line = contentTypeLines.get(key);
  if (line === undefined) {
    line = contentTypeLineFor(type, standIn);
    if (contentTypeLines.size >= 1000) contentTypeLines.clear();
    contentTypeLines.set(key, line);
  }
  if (standIn === tag) return line;
  const at = line.indexOf(standIn);
  // The type named the tag once, so the line must hold the stand-in once; else write it for the tag itself.
  if (at < 0 || line.indexOf(standIn, at + 1) >= 0 || contentType.split(tag).length !== 2) return contentTypeLineFor(contentType, tag);
  return line.slice(0, at) + tag + line.slice(at + standIn.length);
}

function contentTypeLineFor(contentType: string, tag: string): string {
  const node = mimeNode(contentType, tag);
  node.setHeader([{ key: 'Message-ID', value: '<content-type@herald.invalid>' }]); // spare it making one up
  const block = node.buildHeaders(); // …, MIME-Version, then Content-Type last
  const marker = '\r\nMIME-Version: 1.0\r\n';
  return block.slice(block.indexOf(marker) + marker.length);
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
