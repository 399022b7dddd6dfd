/**
 * What the main thread (ThreadedPool) and the SMTP pool's worker (smtp-pool.worker.ts) say to
 * each other. Mails go in batches: one message per turn of the main thread's event loop.
 */
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { TranscriptState } from '../session-transcript';

/**
 * The code of a failure of the pool's thread itself (it stopped, or lacks what a mail needs):
 * that message's transient failure, not the relay's (classifySmtpFailure).
 */
export const THREAD_FAILED = 'ETHREAD';

/** What the worker is made with: the pool's options (no functions) and, for XOAUTH2, the user it asks tokens for. */
export interface PoolWorkerData {
  options: SMTPPool.Options;
  secure: boolean;
  oauth2User?: string;
}

/** Mails to send: their header blocks packed in one buffer (moved, not copied), each shared body once. */
export interface SendBatch {
  kind: 'send';
  /** Each mail: [id, from, recipients, Message-ID, start of its bytes in `heads`, end, its body's id or -1]. */
  mails: Array<[id: number, from: string, to: string[], messageId: string, start: number, end: number, body: number]>;
  heads: Uint8Array;
  /** Bodies the worker has not been given yet: [id, bytes]. */
  bodies: Array<[id: number, bytes: Uint8Array]>;
  /** Bodies the worker may forget once it has this batch's mails (the main thread no longer refers to them by id). */
  forget: number[];
}

/** An access token the worker asked for (TokenRequest), or why there is none. */
export interface TokenAnswer {
  kind: 'token';
  id: number;
  token?: string;
  expires?: number;
  error?: ErrorFields;
}

/** Close the pool: sent once the worker has answered every mail it was given. */
export interface CloseRequest {
  kind: 'close';
}

export type ToWorker = SendBatch | TokenAnswer | CloseRequest;

/** What became of a send: [id, reply, recipients accepted] or [id, null, the error's fields]. */
export type SendResult = [id: number, response: string, accepted: string[]] | [id: number, response: null, error: ErrorFields];

/**
 * The fields of an error that classifySmtpFailure reads (nodemailer's and Node's; never a
 * secret), with the transcript of the session it ended, and, when it is the token
 * endpoint's failure, what its TokenEndpointError is made of (to make it again).
 */
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
  transcript?: TranscriptState;
  tokenEndpoint?: { status: number | null; oauthError: string | null };
}

/** XOAUTH2: the worker's pool asks the main thread's token source (`renew`: the relay refused the last one). */
export interface TokenRequest {
  kind: 'token';
  id: number;
  renew: boolean;
}

export type FromWorker = { kind: 'results'; results: SendResult[] } | TokenRequest;

/** The fields above of an error (own or inherited), nothing else: the rest may hold what must not cross. */
export function fieldsOf(error: Error): ErrorFields {
  const e = error as Error & Partial<ErrorFields>;
  const fields: ErrorFields = { name: e.name, message: e.message };
  for (const key of ['code', 'command', 'response', 'originalCode', 'timeoutType', 'syscall'] as const) if (typeof e[key] === 'string') fields[key] = e[key];
  if (typeof e.responseCode === 'number') fields.responseCode = e.responseCode;
  if (typeof e.errno === 'number') fields.errno = e.errno;
  if (e.tokenEndpoint) fields.tokenEndpoint = { status: e.tokenEndpoint.status, oauthError: e.tokenEndpoint.oauthError };
  return fields;
}
