import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { TokenEndpointError } from '../oauth2/oauth2-token-source';
import type { EncodedMail } from '../pooled-send';
import type { RelayLogin } from '../relay-login';
import { carryTranscript } from '../session-transcript';
import { type ErrorFields, fieldsOf, THREAD_FAILED, type FromWorker, type PoolWorkerData, type SendBatch, type SendResult, type TokenRequest, type ToWorker } from './pool-messages';

/** How many shared bodies the worker keeps by id (an event's body, for its recipients' mails), and their bytes at most. */
const KEPT_BODIES = 64;
const KEPT_BODY_BYTES = 4 << 20;

/** What the relay said when it accepted a message (LiveTransport's SentMail). */
export interface PoolSent {
  messageId: string;
  response: string;
  accepted: string[];
}

interface Pending {
  resolve(sent: PoolSent): void;
  reject(error: Error): void;
  messageId: string;
}

/**
 * A nodemailer SMTP pool in a worker thread (smtp-pool.worker.ts), for encoded mails.
 * Mails sent in one turn of the event loop go to it as one message: their header blocks
 * packed in one buffer that is moved, not copied, and each shared body (an event's, for
 * its recipients) once. A failure comes back with the fields classifySmtpFailure reads
 * and the transcript of its session; XOAUTH2 tokens are asked of `login`'s token source,
 * here. `close` closes it once every mail it was given is answered.
 */
export class ThreadedPool {
  /** Started at the first mail (a relay's pool that sends nothing costs no thread). */
  private worker?: Worker;
  private readonly data: PoolWorkerData;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private batch: Array<{ id: number; mail: EncodedMail }> = [];
  /** Shared bodies the worker holds, by id, least recently used first (forgotten first). */
  private readonly bodyIds = new WeakMap<Buffer, number>();
  private readonly held = new Map<number, number>(); // id → its bytes
  private heldBytes = 0;
  private nextBodyId = 0;
  private closing = false;
  /** The thread ended without being closed (it crashed): the pool sends no more. */
  private lost?: Error;

  constructor(
    options: SMTPPool.Options,
    private readonly login: RelayLogin,
  ) {
    const oauth2User = login.tokens ? (login.auth as { user?: string } | undefined)?.user ?? '' : undefined;
    this.data = { options: { ...options, auth: oauth2User === undefined ? options.auth : undefined }, secure: !!options.secure, oauth2User };
  }

  /** Whether its thread ended without being closed: the pool sends no more (LiveTransport makes another). */
  get stopped(): boolean {
    return this.lost !== undefined;
  }

  send(mail: EncodedMail): Promise<PoolSent> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.closing) return Promise.reject(new Error('the SMTP pool is closed'));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push({ id, mail });
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, messageId: mail.messageId ?? '' }));
  }

  /** Closes the pool (and the thread) once every mail it was given is answered. */
  close(): void {
    this.closing = true;
    this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (this.closing && this.batch.length === 0 && this.pending.size === 0) this.post({ kind: 'close' });
  }

  private start(): Worker {
    const worker = startWorker(this.data);
    worker.on('message', (message: FromWorker) => (message.kind === 'results' ? this.received(message.results) : this.tokenAsked(message)));
    worker.on('error', (error) => (this.lost = threadStopped(error)));
    worker.on('messageerror', (error) => {
      // A message from it that cannot be read (its sends' answers among them): as if it had crashed.
      this.lost = threadStopped(error);
      this.failAll(this.lost);
      void worker.terminate();
    });
    worker.on('exit', () => {
      if (!this.closing) this.lost ??= threadStopped();
      this.failAll(this.lost ?? new Error('the SMTP pool is closed'));
    });
    worker.unref();
    return worker;
  }

  private flush(): void {
    const mails = this.batch;
    if (mails.length === 0) return; // failed meanwhile (the thread stopped)
    this.batch = [];
    const bodies: SendBatch['bodies'] = [];
    const forget: number[] = [];
    const heads: Buffer[] = [];
    const bodyIds: number[] = [];
    const used = new Set<number>();
    let size = 0;
    for (const { mail } of mails) {
      const { raw, body } = mail;
      let head = raw;
      let bodyId = -1;
      if (body && body.length > 0 && body.length < raw.length && raw.subarray(raw.length - body.length).equals(body)) {
        head = raw.subarray(0, raw.length - body.length);
        bodyId = this.bodyIds.get(body) ?? -1;
        if (this.held.delete(bodyId)) this.held.set(bodyId, body.length); // used again: the last to be forgotten
        else {
          bodyId = this.nextBodyId++;
          this.bodyIds.set(body, bodyId);
          bodies.push([bodyId, new Uint8Array(body)]); // its own bytes: a Buffer's whole slab would be cloned
          this.held.set(bodyId, body.length);
          this.heldBytes += body.length;
        }
        used.add(bodyId);
      }
      heads.push(head);
      bodyIds.push(bodyId);
      size += head.length;
    }
    // Too many kept: the least recently used go, never one this batch sends (the worker forgets them after it).
    for (const [oldest, bytes] of this.held) {
      if ((this.held.size <= KEPT_BODIES && this.heldBytes <= KEPT_BODY_BYTES) || used.has(oldest)) break;
      this.held.delete(oldest);
      this.heldBytes -= bytes;
      forget.push(oldest);
    }
    const packed = Buffer.allocUnsafeSlow(size);
    const batch: SendBatch = { kind: 'send', mails: [], heads: packed, bodies, forget };
    let at = 0;
    mails.forEach(({ id, mail }, i) => {
      heads[i].copy(packed, at);
      batch.mails.push([id, mail.envelope.from, mail.envelope.to, mail.messageId ?? '', at, at + heads[i].length, bodyIds[i]]);
      at += heads[i].length;
    });
    try {
      this.worker!.postMessage(batch, [packed.buffer]);
    } catch (error) {
      // Not posted (a value that cannot be cloned): its mails fail; the worker has none of its bodies, and forgets the rest.
      for (const [id, bytes] of bodies) if (this.held.delete(id)) this.heldBytes -= bytes.length;
      this.post({ kind: 'send', mails: [], heads: new Uint8Array(0), bodies: [], forget });
      this.received(mails.map(({ id }): SendResult => [id, null, fieldsOf(error as Error)]));
    }
  }

  private received(results: SendResult[]): void {
    for (const result of results) this.settle(result);
    if (this.pending.size === 0) this.worker!.unref();
    this.closeIfIdle();
  }

  private settle([id, response, detail]: SendResult): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (response === null) pending.reject(this.errorOf(detail as ErrorFields));
    else pending.resolve({ messageId: pending.messageId, response, accepted: detail as string[] });
  }

  /**
   * The worker's error as nodemailer's would have been here: its message and fields, and
   * the transcript of its session; the token endpoint's failure is a TokenEndpointError
   * again, with what nodemailer added to it.
   */
  private errorOf(fields: ErrorFields): Error {
    const { name, message, transcript, tokenEndpoint, ...rest } = fields;
    const error = tokenEndpoint ? new TokenEndpointError(message, tokenEndpoint.status, tokenEndpoint.oauthError) : Object.assign(new Error(message), { name });
    Object.assign(error, rest);
    if (transcript) carryTranscript(error, transcript);
    return error;
  }

  private tokenAsked(request: TokenRequest): void {
    const tokens = this.login.tokens;
    if (!tokens) return this.post({ kind: 'token', id: request.id, error: { name: 'Error', message: 'no OAuth2 token source' } });
    tokens.provisionCallback('', request.renew, (error, token, expires) => {
      if (!error) return this.post({ kind: 'token', id: request.id, token, expires });
      const tokenEndpoint = error instanceof TokenEndpointError ? { status: error.status, oauthError: error.oauthError } : undefined;
      this.post({ kind: 'token', id: request.id, error: { ...fieldsOf(error), tokenEndpoint } });
    });
  }

  private post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.batch = [];
  }
}

/** The thread stopped unasked (it crashed): what it was sending fails, for another attempt. */
function threadStopped(cause?: Error): Error {
  return Object.assign(new Error(`the SMTP pool thread stopped${cause ? `: ${cause.message}` : ''}`, { cause }), { code: THREAD_FAILED });
}

/** The worker, from its build, or under Jest (run from the TypeScript sources) from its source, compiled module by module as required. */
function startWorker(workerData: PoolWorkerData): Worker {
  const script = poolWorkerScript();
  if (script.endsWith('.js')) return new Worker(script, { workerData });
  return new Worker(FROM_SOURCES, { eval: true, workerData: { ...workerData, script, typescript: require.resolve('typescript') } });
}

/**
 * The worker's script in `dir` (this module's folder): its build (dist/src/smtp/thread/, beside
 * this file's: the bundle's build checks it is there), or its TypeScript source when this module
 * runs from its own (Jest). A build without it fails here, clearly (SmtpThreads: at start).
 */
export function poolWorkerScript(dir = __dirname, fromSources = __filename.endsWith('.ts')): string {
  const script = join(dir, fromSources ? 'smtp-pool.worker.ts' : 'smtp-pool.worker.js');
  if (!existsSync(script)) throw new Error(`the SMTP pool's thread cannot start: ${script} is missing (RELAY_THREAD=false sends from the main thread)`);
  return script;
}

const FROM_SOURCES = `
const { readFileSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const ts = require(workerData.typescript);
const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
require.extensions['.ts'] = (module, file) => module._compile(ts.transpileModule(readFileSync(file, 'utf8'), { fileName: file, compilerOptions }).outputText, file);
require(workerData.script);
`;
