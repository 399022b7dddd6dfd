import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { EncodedMail, SentMail } from '../live-transport';
import type { ErrorFields, FromWorker, SendBatch, SendResult } from './pool-messages';

/** How many shared bodies the worker keeps by id (an event's body, for its recipients' mails). */
const KEPT_BODIES = 64;

interface Pending {
  resolve(sent: SentMail): void;
  reject(error: Error): void;
  messageId: string;
}

/**
 * A nodemailer SMTP pool in a worker thread (smtp-pool.worker.ts). Mails sent in one turn
 * of the event loop go to it as one message: their header blocks packed in one buffer that
 * is moved, not copied, and each shared body (an event's, for its recipients) once.
 */
export class ThreadedPool {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private batch: Array<{ id: number; mail: EncodedMail }> = [];
  /** Shared bodies the worker holds, by id (in the order given: the oldest is forgotten first). */
  private readonly bodyIds = new WeakMap<Buffer, number>();
  private readonly held = new Set<number>();
  private nextBodyId = 0;
  private closing = false;

  constructor(options: SMTPPool.Options) {
    this.worker = new Worker(join(__dirname, 'smtp-pool.worker.js'), { workerData: { options } });
    this.worker.on('message', (message: FromWorker) => this.received(message));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.unref();
  }

  send(mail: EncodedMail): Promise<SentMail> {
    if (this.closing) return Promise.reject(new Error('the SMTP pool is closed'));
    const id = this.nextId++;
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push({ id, mail });
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, messageId: mail.messageId ?? '' }));
  }

  /** Closes the pool once what it was given is sent. */
  close(): void {
    this.closing = true;
    if (this.batch.length === 0 && this.pending.size === 0) this.worker.postMessage({ kind: 'close' });
  }

  private flush(): void {
    const mails = this.batch;
    this.batch = [];
    const bodies: SendBatch['bodies'] = [];
    const forget: number[] = [];
    const parts: Array<{ head: Buffer; body: number }> = [];
    let size = 0;
    for (const { mail } of mails) {
      const { raw, body } = mail;
      let bodyId = -1;
      let head = raw;
      if (body && body.length > 0 && body.length < raw.length && raw.subarray(raw.length - body.length).equals(body)) {
        head = raw.subarray(0, raw.length - body.length);
        bodyId = this.bodyIds.get(body) ?? -1;
        if (bodyId < 0 || !this.held.has(bodyId)) {
          bodyId = this.nextBodyId++;
          this.bodyIds.set(body, bodyId);
          bodies.push([bodyId, new Uint8Array(body)]); // its own bytes: a Buffer's whole slab would be cloned
          this.held.add(bodyId);
          if (this.held.size > KEPT_BODIES) {
            const oldest = this.held.values().next().value!;
            this.held.delete(oldest);
            forget.push(oldest);
          }
        }
      }
      parts.push({ head, body: bodyId });
      size += head.length;
    }
    const heads = Buffer.allocUnsafeSlow(size);
    const batch: SendBatch = { kind: 'send', mails: [], heads, bodies, forget };
    let at = 0;
    mails.forEach(({ id, mail }, i) => {
      const { head, body } = parts[i];
      head.copy(heads, at);
      batch.mails.push([id, mail.envelope.from, mail.envelope.to, at, at + head.length, body]);
      at += head.length;
    });
    this.worker.postMessage(batch, [heads.buffer]);
  }

  private received(message: FromWorker): void {
    if (message.kind === 'closed') return;
    for (const result of message.results) this.settle(result);
    if (this.pending.size === 0) {
      this.worker.unref();
      if (this.closing && this.batch.length === 0) this.worker.postMessage({ kind: 'close' });
    }
  }

  private settle([id, response, detail]: SendResult): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (response === null) pending.reject(errorOf(detail as ErrorFields));
    else pending.resolve({ messageId: pending.messageId, response, accepted: detail as string[] });
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** The worker's error as nodemailer's: its message, with the fields classifySmtpFailure reads. */
function errorOf(fields: ErrorFields): Error {
  const { name, message, ...rest } = fields;
  const error = Object.assign(new Error(message), rest);
  error.name = name;
  return error;
}
