// How a nodemailer pool sends an encoded message, and what it logs: shared by the pool on the
// main thread (LiveTransport) and the pool in a worker thread (thread/), which loads no Nest.
import type { MailerService } from '@nestjs-modules/mailer';
import type { SentMessageInfo } from 'nodemailer';
import { EncodedData } from './encoded-data';
import { type NodemailerLogger, TranscriptRecorder } from './session-transcript';

/** A message already encoded: its envelope and its bytes (the Message-ID, if given, is what the pool logs and `send` answers). */
export interface EncodedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId?: string;
  /** The bytes `raw` ends with when other messages share them (an event's body): made ready for the relay once for all (asSmtpData). */
  body?: Buffer;
}

/** A transporter of the mailer module (nodemailer's Mail over, here, its SMTP pool). */
export type Transporter = ReturnType<MailerService['getTransporter']>;

/**
 * A pool's logging: each session's commands and replies (never the message) go to its
 * transcript — how far a failed session got — until it sends its first MAIL FROM. From
 * then on its step is SEND whatever it sends, so its commands and replies are no longer
 * logged (nodemailer's `transactionLog`, turned off for that connection alone): some
 * ten log entries less per message. What ends the session (the error entry) is still
 * recorded, with its transcript; each message's reply is the send's own answer. The
 * pool's own entries (no session: `sid`), which the transcripts never read, are not
 * made at all. `options` go to the pool; `attach` it once made, before it connects.
 */
export function sessionLog(secure: boolean): { options: { logger: NodemailerLogger; transactionLog: true }; attach(transporter: Transporter): void } {
  let pool: Transporter | undefined;
  const recorder = new TranscriptRecorder(secure, undefined, (sid) => pool && untraced(pool, sid));
  return {
    options: { logger: recorder.logger, transactionLog: true },
    attach: (transporter) => {
      pool = transporter;
      (transporter.transporter as unknown as PoolInternals).logger = SILENT; // its resources take it when they are made
    },
  };
}

const quiet = (): void => undefined;
const SILENT: NodemailerLogger = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet, fatal: quiet };

/**
 * nodemailer's pool internals, not part of its API: its logger, its resources (`_connections`),
 * each with its SMTPConnection (`connection`), whose `id` is the sid its log entries carry,
 * whose `options` — the pool's, shared — are where it reads `transactionLog` at each
 * command and reply, and whose `logger` it logs through. live-transport.spec.ts fails if they move.
 */
interface PoolInternals {
  /** What the pool and each resource it makes log through (entries without a sid). */
  logger: NodemailerLogger;
  _connections?: Array<{ connection?: { id?: string; options?: Record<string, unknown>; logger?: NodemailerLogger } }>;
}

/**
 * The connection of this sid logs no more commands and replies (its own copy of the
 * options), nor anything below a warning (the bytes of each message, …): what ends it
 * is logged as a warning or an error, with the error the transcript is handed to.
 */
function untraced(transporter: Transporter, sid: string): void {
  // Runs inside nodemailer's command write: internals of another shape must leave the session logged, never throw there.
  try {
    const resources = (transporter.transporter as unknown as PoolInternals)._connections;
    const connection = Array.isArray(resources) ? resources.find((r) => r?.connection?.id === sid)?.connection : undefined;
    if (!connection?.options || !connection.logger) return;
    const logger = connection.logger;
    // What is still logged says the session was sending, in case its transcript has been forgotten since (64 sessions later).
    const marked = (level: 'warn' | 'error' | 'fatal') => (entry: Record<string, unknown>, ...rest: unknown[]) => logger[level]({ ...entry, sending: true } as never, ...rest);
    connection.options = { ...connection.options, transactionLog: false };
    connection.logger = { ...logger, trace: quiet, debug: quiet, info: quiet, warn: marked('warn'), error: marked('error'), fatal: marked('fatal') };
  } catch {
    // the session stays logged as before
  }
}

/**
 * An encoded message straight to the transport under a transporter of the mailer
 * module (the pool). nodemailer's `sendMail` would wrap it in a MailMessage, run
 * its plugins, compile a MimeNode around the bytes (with a random Message-ID it
 * never writes) and stream them through a pipeline of transforms — per message,
 * for bytes that are final already. The pool (its connections, logins,
 * re-queueing, logger and so the session transcripts) sends it as it sends any
 * message, and the relay receives the same bytes.
 */
export function sendEncoded(transporter: Transporter, mail: EncodedMail): Promise<SentMessageInfo> {
  return new Promise((resolve, reject) => sendEncodedThen(transporter, mail, (error, info) => (error ? reject(error) : resolve(info!))));
}

/** sendEncoded with the pool's callback (LiveTransport settles its own promise in it). */
export function sendEncodedThen(transporter: Transporter, mail: EncodedMail, callback: (error: Error | null, info?: SentMessageInfo) => void): void {
  transporter.transporter.send(asMailMessage(encodedMessage(mail)), callback);
}

/**
 * What nodemailer's SMTP transports read of a message (smtp-pool, pool-resource,
 * smtp-transport): its options (`data`: signal, dsn, requireTLSExtensionEnabled,
 * auth — none here), and of the compiled message its envelope, its Message-ID and
 * a stream of its bytes (EncodedData), made anew for each attempt (the pool re-queues
 * a message whose connection dropped before a byte was read).
 */
interface TransportMessage {
  data: Record<string, never>;
  message: {
    getEnvelope(): { from: string; to: string[] };
    messageId(): string;
    getHeader(key: string): string | undefined;
    createReadStream(): EncodedData;
  };
}

function encodedMessage(mail: EncodedMail): TransportMessage {
  // Bytes as they are: nodemailer's stream would end them with a line break, which the
  // connection's data stream adds anyway before the final dot (the same bytes on the wire).
  const { raw } = mail;
  const messageId = mail.messageId ?? '';
  return {
    data: {},
    message: {
      getEnvelope: () => ({ from: mail.envelope.from, to: [...mail.envelope.to] }),
      messageId: () => messageId,
      getHeader: (key) => (key.toLowerCase() === 'message-id' ? messageId : undefined),
      createReadStream: () => new EncodedData(raw, mail.body),
    },
  };
}

/**
 * A transport's parameter is typed as nodemailer's whole MailMessage, of which it
 * reads only `TransportMessage`. This and the transporter options (LiveTransport's,
 * the pool thread's) are where nodemailer's and the mailer module's types are bent.
 */
function asMailMessage(message: TransportMessage): Parameters<Transporter['transporter']['send']>[0] {
  return message as never;
}
