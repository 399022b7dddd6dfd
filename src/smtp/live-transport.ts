import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { MailerService, type ISendMailOptions } from '@nestjs-modules/mailer';
import type { SentMessageInfo } from 'nodemailer';
import { isConfigured, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import { SmtpSettingsChangedEvent } from '../settings/smtp-settings/smtp-settings-changed.event';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { EncodedData } from './encoded-data';
import { type NodemailerLogger, TranscriptRecorder } from './session-transcript';
import { RelayLogins, type RelayLogin } from './relay-login';
import { transportOptions } from './transport-options';
import { smtpThread } from './thread/smtp-thread';
import { ThreadedPool } from './thread/threaded-pool';

/** What the relay said when it accepted a message. */
export interface SentMail {
  messageId: string;
  /** The relay's reply, e.g. `250 2.0.0 OK`. */
  response: string;
  accepted: string[];
}

/** A message already encoded: its envelope and its bytes (the Message-ID, if given, is what the pool logs and `send` answers). */
export interface EncodedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId?: string;
  /** The bytes `raw` ends with when other messages share them (an event's body): made ready for the relay once for all (asSmtpData). */
  body?: Buffer;
}

/**
 * A message for the relay: already encoded (`EncodedMail`), or parts for
 * nodemailer to encode (the test mail). `from` defaults to the configured sender;
 * `date` (the Date header) to the wall clock, so Herald gives its Clock's.
 */
export type OutgoingMail = Pick<ISendMailOptions, 'to' | 'subject' | 'text' | 'html' | 'headers' | 'date'> | EncodedMail;

/** The relay the next mails go through: its settings, and sending through its pool. */
export interface Relay {
  readonly settings: SmtpSettings;
  send(mail: OutgoingMail): Promise<SentMail>;
}

interface Generation extends Relay {
  name: string;
  login: RelayLogin;
  inFlight: number;
  retired: boolean;
  /** The pool in a worker thread that sends the encoded mails (HERALD_SMTP_THREAD), if any. */
  threaded?: ThreadedPool;
}

/** Pools of every LiveTransport (the primary's, the standby relay's) share the mailer module's names: counted once. */
let generations = 0;

/**
 * The pooled SMTP transport, built from the live settings. When the settings
 * change, the next send builds a new pool; the old one finishes what it is
 * sending and is then closed. Sends go through @nestjs-modules/mailer, which
 * keeps the named nodemailer transporters; each pool records its sessions'
 * transcripts, so a failed send can be placed at its step.
 */
@Injectable()
export class LiveTransport implements OnApplicationShutdown {
  private readonly logger = new Logger('MailTransport');
  private current?: Generation;
  private building?: Promise<Generation | undefined>;

  constructor(
    private readonly mailer: MailerService,
    private readonly settings: SmtpSettingsService,
    private readonly logins: RelayLogins,
  ) {}

  /** The relay of the live settings; undefined while SMTP is not configured (no host or sender). */
  relay(): Promise<Relay | undefined> {
    if (this.current) return Promise.resolve(this.current);
    this.building ??= this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  @OnEvent(SmtpSettingsChangedEvent.NAME)
  onSettingsChanged(): void {
    const old = this.current;
    this.current = undefined;
    this.building = undefined;
    if (old) {
      old.retired = true;
      if (old.inFlight === 0) this.close(old);
    }
  }

  /** After the dispatcher has stopped (onModuleDestroy): close the pool once idle. */
  onApplicationShutdown(): void {
    this.onSettingsChanged();
  }

  private async build(): Promise<Generation | undefined> {
    const settings = await this.settings.get();
    if (!isConfigured(settings) || !settings.host) return undefined; // no relay (or mail goes through Microsoft Graph)
    const name = `relay-${++generations}`;
    const login = this.logins.login(settings);
    const options = transportOptions(settings, login.auth);
    const log = sessionLog(!!options.secure);
    this.mailer.addTransporter(name, {
      ...options,
      pool: true,
      maxConnections: settings.poolSize,
      maxMessages: 1000,
      // A message whose connection drops is re-queued in the pool a couple of times (an
      // idle connection the relay closed); after that the outbox's own retry takes over,
      // instead of nodemailer re-queueing it forever while the relay is down.
      maxRequeues: 2,
      ...log.options,
    } as never); // nodemailer's and the mailer's option types disagree (see asMailMessage below)
    log.attach(this.mailer.getTransporter(name));
    const threaded = smtpThread() && !login.tokens ? new ThreadedPool({ ...options, pool: true, maxConnections: settings.poolSize, maxMessages: 1000, maxRequeues: 2 }) : undefined;
    const generation: Generation = {
      threaded,
      name,
      login,
      settings,
      inFlight: 0,
      retired: false,
      send: (mail) => this.send(generation, mail),
    };
    this.current = generation;
    this.logger.log(`SMTP pool ${name}: ${settings.host}:${settings.port} (${settings.security}, ${settings.authMethod}, ${settings.poolSize} connections)`);
    return generation;
  }

  private send(generation: Generation, mail: OutgoingMail): Promise<SentMail> {
    if (generation.threaded && 'raw' in mail) {
      generation.inFlight++;
      return generation.threaded.send(mail).then(
        (sent) => (this.sent(generation), sent),
        (error: unknown) => {
          this.sent(generation);
          throw error;
        },
      );
    }
    let transporter: Transporter;
    try {
      transporter = this.mailer.getTransporter(generation.name);
    } catch (error) {
      return Promise.reject(error as Error); // as the async send did
    }
    // A DKIM key (none today: the relay signs) is applied by sendMail alone.
    if (!('raw' in mail) || transporter.dkim) return this.sendMail(generation, mail);
    // An encoded message (every mail but the test mail): the pool's callback settles it, without a promise per layer.
    generation.inFlight++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (error: Error | null, info?: SentMessageInfo) => {
        if (settled) return;
        settled = true;
        try {
          if (error) reject(error);
          else resolve(sentMail(info!));
        } catch (e) {
          reject(e as Error);
        } finally {
          this.sent(generation);
        }
      };
      try {
        sendEncodedThen(transporter, mail, done);
      } catch (error) {
        done(error as Error);
      }
    });
  }

  private async sendMail(generation: Generation, mail: OutgoingMail): Promise<SentMail> {
    generation.inFlight++;
    try {
      const { body: _shared, ...options } = mail as EncodedMail; // a body's stuffing is sendEncoded's alone
      return sentMail(await this.mailer.sendMail({ from: generation.settings.sender!, ...options, transporterName: generation.name }));
    } finally {
      this.sent(generation);
    }
  }

  /** A send of this generation is over: a retired pool is closed once idle. */
  private sent(generation: Generation): void {
    generation.inFlight--;
    if (generation.retired && generation.inFlight === 0) this.close(generation);
  }

  private close(generation: Generation): void {
    this.mailer.removeTransporter(generation.name);
    generation.threaded?.close();
    generation.login.close();
  }
}

function sentMail(info: SentMessageInfo): SentMail {
  return { messageId: info.messageId ?? '', response: info.response ?? '', accepted: (info.accepted ?? []).map(String) };
}

/** A transporter of the mailer module (nodemailer's Mail over, here, its SMTP pool). */
type Transporter = ReturnType<MailerService['getTransporter']>;

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
function sendEncodedThen(transporter: Transporter, mail: EncodedMail, callback: (error: Error | null, info?: SentMessageInfo) => void): void {
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
 * reads only `TransportMessage`. This and the transporter options above are where
 * nodemailer's and the mailer module's types are bent, and nowhere else.
 */
function asMailMessage(message: TransportMessage): Parameters<Transporter['transporter']['send']>[0] {
  return message as never;
}
