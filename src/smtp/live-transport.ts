import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { MailerService, type ISendMailOptions } from '@nestjs-modules/mailer';
import type { SentMessageInfo } from 'nodemailer';
import { isConfigured, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import { SmtpSettingsChangedEvent } from '../settings/smtp-settings/smtp-settings-changed.event';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { type EncodedMail, sendEncodedThen, sessionLog, type Transporter } from './pooled-send';
import { RelayLogins, type RelayLogin } from './relay-login';
import { transportOptions } from './transport-options';
import { SmtpThreads } from './thread/smtp-threads';
import type { ThreadedPool } from './thread/threaded-pool';

export { type EncodedMail, sendEncoded, sessionLog } from './pooled-send';

/** What the relay said when it accepted a message. */
export interface SentMail {
  messageId: string;
  /** The relay's reply, e.g. `250 2.0.0 OK`. */
  response: string;
  accepted: string[];
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
  /** The pool in a worker thread that sends the encoded mails (RELAY_THREAD), if any. */
  threaded?: ThreadedPool;
}

/** Pools of every LiveTransport (the primary's, the standby relay's) share the mailer module's names: counted once. */
let generations = 0;

/**
 * The pooled SMTP transport, built from the live settings. When the settings
 * change, the next send builds a new pool; the old one finishes what it is
 * sending and is then closed. Sends go through @nestjs-modules/mailer, which
 * keeps the named nodemailer transporters; each pool records its sessions'
 * transcripts, so a failed send can be placed at its step. With RELAY_THREAD
 * (SmtpThreads) the encoded mails go to a pool of the same options in a worker thread
 * of the generation's own (thread/), which sends them and hands back what a failure
 * needs (its fields and transcript); the test mail still goes through the mailer module.
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
    @Optional() private readonly threads?: SmtpThreads,
  ) {}

  /** The relay of the live settings; undefined while SMTP is not configured (no host or sender). */
  relay(): Promise<Relay | undefined> {
    if (this.current?.threaded?.stopped) this.onSettingsChanged(); // its thread crashed: a new pool
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
      ...poolOptions(settings),
      ...log.options,
    } as never); // nodemailer's and the mailer's option types disagree (see asMailMessage in pooled-send.ts)
    log.attach(this.mailer.getTransporter(name));
    const threaded = this.threads?.pool({ ...options, ...poolOptions(settings) }, login);
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
    this.logger.log(`SMTP pool ${name}: ${settings.host}:${settings.port} (${settings.security}, ${settings.authMethod}, ${settings.poolSize} connections${threaded ? ', in its own thread' : ''})`);
    return generation;
  }

  private send(generation: Generation, mail: OutgoingMail): Promise<SentMail> {
    if (!('raw' in mail)) return this.sendMail(generation, mail); // the test mail, for nodemailer to encode
    const threaded = generation.threaded;
    let transporter: Transporter | undefined;
    if (!threaded) {
      try {
        transporter = this.mailer.getTransporter(generation.name);
      } catch (error) {
        return Promise.reject(error as Error); // as the async send did
      }
      // A DKIM key (none today: the relay signs) is applied by sendMail alone.
      if (transporter.dkim) return this.sendMail(generation, mail);
    }
    // An encoded message, to its pool in a thread or here: settled and counted
    // once, without a promise per layer; a throw (a thread that cannot start) is its failure.
    generation.inFlight++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (error: Error | null, info?: Answer) => {
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
        if (threaded) threaded.send(mail).then((sent) => done(null, sent), done);
        else sendEncodedThen(transporter!, mail, done);
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

/** The pool's own options (on the main thread or in its own: SmtpThreads). */
function poolOptions(settings: SmtpSettings) {
  return {
    pool: true as const,
    maxConnections: settings.poolSize,
    maxMessages: 1000,
    // A message whose connection drops is re-queued in the pool a couple of times (an
    // idle connection the relay closed); after that the outbox's own retry takes over,
    // instead of nodemailer re-queueing it forever while the relay is down.
    maxRequeues: 2,
  };
}

/** The relay's answer, from nodemailer's pool here or the thread's (PoolSent). */
type Answer = Pick<SentMessageInfo, 'messageId' | 'response' | 'accepted'>;

function sentMail(info: Answer): SentMail {
  return { messageId: info.messageId ?? '', response: info.response ?? '', accepted: (info.accepted ?? []).map(String) };
}
