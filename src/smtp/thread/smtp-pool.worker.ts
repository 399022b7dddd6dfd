// The SMTP pool's thread: a nodemailer pool that sends what the main thread encoded
// (ThreadedPool), so that the SMTP protocol's work — commands, replies, the message's
// stream into the socket — is done beside the main thread, not on it. It loads no Nest.
import { parentPort, workerData } from 'node:worker_threads';
import { createTransport } from 'nodemailer';
import { sendEncodedThen, sessionLog } from '../pooled-send';
import { stateOf, transcriptOf } from '../session-transcript';
import { type ErrorFields, fieldsOf, THREAD_FAILED, type FromWorker, type PoolWorkerData, type SendBatch, type SendResult, type TokenAnswer, type ToWorker } from './pool-messages';

type TokenCallback = (error: Error | null, accessToken?: string, expires?: number) => void;

const port = parentPort!;
const { options, secure, oauth2User } = workerData as PoolWorkerData;
const tokenRequests = new Map<number, TokenCallback>();
let nextTokenRequest = 0;
const log = sessionLog(secure);
const auth = oauth2User === undefined ? options.auth : { type: 'OAuth2' as const, user: oauth2User, provisionCallback: askToken };
const transporter = createTransport({ ...options, auth, ...log.options } as never);
log.attach(transporter);
const bodies = new Map<number, Buffer>();
let results: SendResult[] = [];

port.on('messageerror', (error) => {
  throw error; // a message it cannot read (mails, a token): the thread stops, and the main thread fails what it sent
});
port.on('message', (message: ToWorker) => {
  if (message.kind === 'send') send(message);
  else if (message.kind === 'token') answered(message);
  else {
    transporter.close();
    port.close();
  }
});

function send(batch: SendBatch): void {
  for (const [id, bytes] of batch.bodies) bodies.set(id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const heads = Buffer.from(batch.heads.buffer, batch.heads.byteOffset, batch.heads.byteLength);
  for (const [id, from, to, messageId, start, end, bodyId] of batch.mails) {
    const head = heads.subarray(start, end);
    const body = bodyId < 0 ? undefined : bodies.get(bodyId);
    const mail = { envelope: { from, to }, raw: body ? Buffer.concat([head, body]) : head, body, messageId };
    try {
      if (bodyId >= 0 && !body) throw Object.assign(new Error(`the SMTP pool thread lacks the body of ${messageId}`), { code: THREAD_FAILED }); // never its headers alone
      sendEncodedThen(transporter, mail, (error, info) => settled(error ? [id, null, failure(error)] : [id, info?.response ?? '', (info?.accepted ?? []).map(String)]));
    } catch (error) {
      settled([id, null, failure(error as Error)]);
    }
  }
  for (const id of batch.forget) bodies.delete(id); // after the mails: a body may be forgotten by the batch that last sends it
}

/** What the main thread is told of a failed send: its fields and the transcript of the session it ended. */
function failure(error: Error): ErrorFields {
  const transcript = transcriptOf(error);
  return { ...fieldsOf(error), ...(transcript && { transcript: stateOf(transcript) }) };
}

function settled(result: SendResult): void {
  if (results.length === 0) setImmediate(flush);
  results.push(result);
}

function flush(): void {
  const done = results;
  results = [];
  post({ kind: 'results', results: done });
}

function post(message: FromWorker): void {
  port.postMessage(message);
}

/** nodemailer's XOAUTH2 hook: the token source is the main thread's (RelayLogins). */
function askToken(_user: string, renew: boolean, callback: TokenCallback): void {
  const id = nextTokenRequest++;
  tokenRequests.set(id, callback);
  post({ kind: 'token', id, renew });
}

function answered(answer: TokenAnswer): void {
  const callback = tokenRequests.get(answer.id);
  tokenRequests.delete(answer.id);
  if (!callback) return;
  if (answer.error) callback(Object.assign(new Error(answer.error.message), answer.error));
  else callback(null, answer.token, answer.expires);
}
