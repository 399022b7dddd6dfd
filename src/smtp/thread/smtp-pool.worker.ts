// The SMTP pool's thread: a nodemailer pool that sends what the main thread encoded
// (ThreadedPool), so that the SMTP protocol's work — commands, replies, the message's
// stream into the socket — is done beside the main thread, not on it.
import { parentPort, workerData } from 'node:worker_threads';
import { createTransport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { EncodedData } from '../encoded-data';
import type { ErrorFields, FromWorker, SendBatch, SendResult, ToWorker } from './pool-messages';

const port = parentPort!;
const transporter = createTransport(workerData.options as SMTPPool.Options);
const bodies = new Map<number, Buffer>();
let results: SendResult[] = [];

port.on('message', (message: ToWorker) => {
  if (message.kind === 'close') {
    transporter.close();
    post({ kind: 'closed' });
    port.close();
    return;
  }
  send(message);
});

function send(batch: SendBatch): void {
  for (const id of batch.forget) bodies.delete(id);
  for (const [id, bytes] of batch.bodies) bodies.set(id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const heads = Buffer.from(batch.heads.buffer, batch.heads.byteOffset, batch.heads.byteLength);
  for (const [id, from, to, start, end, bodyId] of batch.mails) {
    const head = heads.subarray(start, end);
    const body = bodyId < 0 ? undefined : bodies.get(bodyId);
    const raw = body ? Buffer.concat([head, body]) : head;
    const message = {
      data: {},
      message: {
        getEnvelope: () => ({ from, to: [...to] }),
        messageId: () => '',
        getHeader: () => undefined,
        createReadStream: () => new EncodedData(raw, body),
      },
    };
    transporter.transporter.send(message as never, (error, info) => settled(error ? [id, null, fieldsOf(error)] : [id, info?.response ?? '', (info?.accepted ?? []).map(String)]));
  }
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

function fieldsOf(error: Error): ErrorFields {
  const e = error as Error & Partial<ErrorFields>;
  return {
    name: e.name,
    message: e.message,
    code: e.code,
    command: e.command,
    response: e.response,
    responseCode: e.responseCode,
    timeoutType: e.timeoutType,
    syscall: e.syscall,
    errno: e.errno,
    originalCode: e.originalCode,
  };
}
