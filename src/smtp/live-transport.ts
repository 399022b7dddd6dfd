import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { MailerService, type ISendMailOptions } from '@nestjs-modules/mailer';
import type { SentMessageInfo } from 'nodemailer';
import { isConfigured, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import { SmtpSettingsChangedEvent } from '../settings/smtp-settings/smtp-settings-changed.event';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { TranscriptRecorder } from './session-transcript';
import { RelayLogins, type RelayLogin } from './relay-login';
import { transportOptions } from './transport-options';

/** What the relay said when it accepted a message. */
export interface SentMail {
  messageId: string;
  /** The relay's reply, e.g. `250 2.0.0 OK`. */
  response: string;
  accepted: string[];
}

/**
 * A message for the relay: already encoded (`envelope` and `raw`), or parts for
 * nodemailer to encode (the test mail). `from` defaults to the configured sender.
 */
export type OutgoingMail = Pick<ISendMailOptions, 'to' | 'subject' | 'text' | 'html' | 'headers'> | { envelope: { from: string; to: string[] }; raw: Buffer };

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
}

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
  private generation = 0;

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
    if (!isConfigured(settings)) return undefined;
    const name = `relay-${++this.generation}`;
    const login = this.logins.login(settings);
    const options = transportOptions(settings, login.auth);
    this.mailer.addTransporter(name, {
      ...options,
      pool: true,
      maxConnections: settings.poolSize,
      maxMessages: 1000,
      // A message whose connection drops is re-queued in the pool a couple of times (an
      // idle connection the relay closed); after that the outbox's own retry takes over,
      // instead of nodemailer re-queueing it forever while the relay is down.
      maxRequeues: 2,
      // Commands and replies (never the message): how far a failed session got.
      logger: new TranscriptRecorder(!!options.secure).logger,
      transactionLog: true,
    } as never); // nodemailer's and the mailer's option types disagree; this is the one cast.
    const generation: Generation = {
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

  private async send(generation: Generation, mail: OutgoingMail): Promise<SentMail> {
    generation.inFlight++;
    try {
      const info: SentMessageInfo = await this.mailer.sendMail({ from: generation.settings.sender!, ...mail, transporterName: generation.name });
      return { messageId: info.messageId ?? '', response: info.response ?? '', accepted: (info.accepted ?? []).map(String) };
    } finally {
      generation.inFlight--;
      if (generation.retired && generation.inFlight === 0) this.close(generation);
    }
  }

  private close(generation: Generation): void {
    this.mailer.removeTransporter(generation.name);
    generation.login.close();
  }
}
