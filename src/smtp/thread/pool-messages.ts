/**
 * What the main thread and the SMTP pool's worker (smtp-pool.worker.ts) say to each other.
 * Mails go in batches: one message per turn of the main thread's event loop, whatever it sent.
 */

/** Mails to send: their header blocks packed in one buffer (moved, not copied), each shared body once. */
export interface SendBatch {
  kind: 'send';
  /** Each mail: [id, from, recipients, start of its bytes in `heads`, end, its body's id or -1]. */
  mails: Array<[id: number, from: string, to: string[], start: number, end: number, body: number]>;
  heads: Uint8Array;
  /** Bodies the worker has not been given yet: [id, bytes]. */
  bodies: Array<[id: number, bytes: Uint8Array]>;
  /** Bodies the worker may forget (the main thread no longer refers to them by id). */
  forget: number[];
}

export interface CloseRequest {
  kind: 'close';
}

export type ToWorker = SendBatch | CloseRequest;

/** What became of a send: [id, reply, recipients accepted] or [id, null, the error's fields]. */
export type SendResult = [id: number, response: string, accepted: string[]] | [id: number, response: null, error: ErrorFields];

/** The fields of an SMTP error that classifySmtpFailure reads (nodemailer's and Node's; never a secret). */
export interface ErrorFields {
  name: string;
  message: string;
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  timeoutType?: string;
  syscall?: string;
  errno?: number;
  originalCode?: string;
}

export type FromWorker = { kind: 'results'; results: SendResult[] } | { kind: 'closed' };
