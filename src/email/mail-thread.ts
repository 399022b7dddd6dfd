import { hash } from 'node:crypto';
import type { NotifiedEvent } from '../event-types/notification-type';
import type { MailHeader } from '../smtp/mime-message';

/**
 * Which conversation a mail belongs to, worked out from its events alone (no
 * state: every process, and every re-send, writes the same headers):
 * - every mail about an application descends from the application's root;
 * - a job's mails (failed, still failing, fixed, succeeded, stopped) from the
 *   root of the application's job kind ("analysis"), and from their job's own;
 * - the other mails (a new version, the application created) from the root of
 *   the application's own conversation.
 * The roots are Message-IDs no mail carries (as Sentry and Alertmanager do):
 * `<herald.thread.<32 hex>@<sender domain>>`, a hash of the installation, the
 * application and the kind (and job). docs/templates.md says what each client shows.
 */
export interface MailThread {
  /** Ancestors, outermost first: References in this order; In-Reply-To is the last. */
  references: string[];
  /** Thread-Topic: the conversation's name ("Billing: analysis", or "Billing"). */
  topic: string;
  /** The root Outlook's conversation is keyed on (its GUID is derived from it). */
  conversation: string;
  /** List-Id: one list per application, for people's filters. */
  listId: string;
  /** Thread-Index's 22-byte header for the conversation (worked out once; each mail adds its level). */
  indexHeader: Buffer;
}

/** The conversation of a mail about these events (one, or a digest's); null when they span applications. */
export function threadOf(events: readonly NotifiedEvent[], installation: string, domain: string): MailThread | null {
  const [first] = events;
  if (!first || events.some((e) => e.application.id !== first.application.id)) return null;
  const app = first.application;
  const jobs = events.map((e) => ('job' in e ? e.job : undefined));
  const kind = jobs[0]?.kind;
  if (kind === undefined || jobs.some((j) => j?.kind !== kind)) {
    // Not all about one job kind (a new version, an application created, a digest of several kinds).
    return conversationOf(installation, domain, app);
  }
  const conversation = conversationOf(installation, domain, app, kind);
  const jobId = jobs[0]!.id;
  if (!jobs.every((j) => j!.id === jobId)) return conversation;
  return { ...conversation, references: [...conversation.references, rootOf(installation, domain, app.id, 'kind', kind, 'job', jobId)] };
}

/** A conversation's root Message-ID: a hash of the installation, the application and the parts. */
function rootOf(installation: string, domain: string, appId: string, ...parts: string[]): string {
  return `<herald.thread.${digest(installation, appId, ...parts).toString('hex').slice(0, 32)}@${domain}>`;
}

/**
 * The conversation of an application (no kind) or of its job kind, without a job's
 * own root: the same for every mail of that application and kind, so worked out
 * once (four SHA-256 hashes) and kept — the last 1,000.
 */
const conversations = new Map<string, MailThread>();
function conversationOf(installation: string, domain: string, app: { id: string; name: string }, kind?: string): MailThread {
  const key = JSON.stringify([installation, domain, app.id, app.name, kind ?? null]);
  let thread = conversations.get(key);
  if (!thread) {
    const appRoot = rootOf(installation, domain, app.id);
    const listId = listIdOf(app, domain);
    if (kind === undefined) {
      const ownRoot = rootOf(installation, domain, app.id, 'application');
      thread = { references: [appRoot, ownRoot], topic: app.name, conversation: ownRoot, listId, indexHeader: threadIndexHeader(ownRoot) };
    } else {
      const kindRoot = rootOf(installation, domain, app.id, 'kind', kind);
      thread = { references: [appRoot, kindRoot], topic: `${app.name}: ${kind}`, conversation: kindRoot, listId, indexHeader: threadIndexHeader(kindRoot) };
    }
    if (conversations.size >= 1000) conversations.clear();
    conversations.set(key, Object.freeze(thread)); // shared by every mail of the conversation
    Object.freeze(thread.references);
  }
  return thread;
}

/** The headers that put a mail sent at `at` (epoch ms) in its conversation. */
export function threadHeaders(thread: MailThread, at: number): MailHeader[] {
  return [
    { key: 'In-Reply-To', value: thread.references[thread.references.length - 1] },
    { key: 'References', value: thread.references.join(' ') },
    { key: 'Thread-Topic', value: thread.topic },
    { key: 'Thread-Index', value: threadIndex(thread.conversation, at, thread.indexHeader).toString('base64') },
    { key: 'List-Id', value: thread.listId },
  ];
}

/**
 * RFC 2919: `Billing <billing.k3j5x9a2.notifications.example.com>`. The label
 * is the application id as far as a label may hold it, and a short hash of the
 * id, so two ids that read alike after cleaning are two lists.
 */
function listIdOf(app: { id: string; name: string }, domain: string): string {
  const label = app.id.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'application';
  const hash = digest(app.id).readUInt32BE(0).toString(36);
  // A phrase of plain words: quotes and other specials would make the whole value an encoded word.
  const phrase = app.name.replace(/[()<>[\]:;@\\,."]+/g, ' ').replace(/\s+/g, ' ').trim();
  return `${phrase ? `${phrase} ` : ''}<${label}.${hash}.notifications.${domain}>`;
}

/** SHA-256 in one call (crypto.hash: no Hash object per mail, a job's root being one per mail). */
function digest(...parts: string[]): Buffer {
  return hash('sha256', parts.join('\n'), 'buffer');
}

/** 100 ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const filetime = (ms: number) => BigInt(ms) * 10_000n + FILETIME_UNIX_EPOCH;

/**
 * When every conversation "began": the header's time is the same for all mails of
 * a conversation (a time no mail has — the root is never sent), so that every
 * mail of it shares the 22-byte header Outlook recognises the conversation by.
 */
export const THREAD_EPOCH = Date.UTC(2020, 0, 1);

/**
 * Thread-Index (MS-OXOMSG 2.2.1.3, PidTagConversationIndex), base64 on the wire:
 * a 22-byte header — 0x01, the top 40 bits of the root's FILETIME (big-endian), a
 * 16-byte GUID (here from the conversation's root) — then one 5-byte response level
 * for this mail: 1 bit DC, 31 bits of the time since the header's time (bits 48–18,
 * or with DC = 1 bits 53–23: up to about 57 years), 4 bits random, 4 bits sequence
 * (here from the time, so that a re-send writes the same bytes).
 */
export function threadIndex(conversation: string, at: number, header = threadIndexHeader(conversation)): Buffer {
  const delta = filetime(at) - ROOT_FILETIME;
  const wide = delta >= 1n << 49n;
  const bits = Number(wide ? (delta >> 23n) & 0x7fffffffn : (delta >> 18n) & 0x7fffffffn);
  const level = Buffer.alloc(5);
  level.writeUInt32BE(((wide ? 0x80000000 : 0) | bits) >>> 0, 0);
  level[4] = Number(filetime(at) & 0xffn);
  return Buffer.concat([header, level]);
}

/** The header's time: the epoch's FILETIME without its low 24 bits (the header keeps the top 40). */
const ROOT_FILETIME = (filetime(THREAD_EPOCH) >> 24n) << 24n;

/** A conversation's 22-byte Thread-Index header: 0x01, the epoch's top 40 FILETIME bits, a GUID from the root. */
function threadIndexHeader(conversation: string): Buffer {
  const header = Buffer.alloc(22);
  header[0] = 0x01;
  const top = ROOT_FILETIME >> 24n;
  for (let i = 0; i < 5; i++) header[1 + i] = Number((top >> BigInt(8 * (4 - i))) & 0xffn);
  digest(conversation).copy(header, 6, 0, 16);
  return header;
}

/** What a Thread-Index says (for tests and the docs' examples): the header's time and GUID, and each level's time since it. */
export function readThreadIndex(value: string): { headerTime: number; guid: string; levels: number[] } {
  const bytes = Buffer.from(value, 'base64');
  let top = 0n;
  for (let i = 1; i <= 5; i++) top = (top << 8n) | BigInt(bytes[i]);
  const headerFiletime = top << 24n;
  const levels: number[] = [];
  for (let at = 22; at + 5 <= bytes.length; at += 5) {
    const word = bytes.readUInt32BE(at);
    const delta = BigInt(word & 0x7fffffff) << (word & 0x80000000 ? 23n : 18n);
    levels.push(Number(delta / 10_000n));
  }
  return { headerTime: Number((headerFiletime - FILETIME_UNIX_EPOCH) / 10_000n), guid: bytes.subarray(6, 22).toString('hex'), levels };
}
