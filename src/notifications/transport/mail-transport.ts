import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { MailerService, type ISendMailOptions } from '@nestjs-modules/mailer';
import type { SentMessageInfo } from 'nodemailer';
import { isConfigured, type SmtpSettings } from '../../settings/smtp-settings';
import { SmtpSettingsChangedEvent } from '../../settings/smtp-settings-changed.event';
import { SmtpSettingsService } from '../../settings/smtp-settings.service';

/** Raised when there is no relay to send through yet (no host or sender): deliveries wait. */
export class SmtpNotConfiguredError extends Error {
  readonly code = 'ENOTCONFIGURED';
  constructor() {
    super('SMTP is not configured: set host and sender with updateSmtpSettings');
  }
}

interface Generation {
  name: string;
  settings: SmtpSettings;
  inFlight: number;
  retired: boolean;
}

/**
 * The pooled SMTP transport, built from the live settings. When the settings
 * change, the next send builds a new pool; the old one finishes what it is
 * sending and is then closed. Sends go through @nestjs-modules/mailer, which
 * keeps the named nodemailer transporters.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger('MailTransport');
  private current?: Generation;
  private building?: Promise<Generation>;
  private generation = 0;

  constructor(
    private readonly mailer: MailerService,
    private readonly settings: SmtpSettingsService,
  ) {}

  /** Sends one message through the pool; `from` defaults to the configured sender. */
  async send(mail: ISendMailOptions): Promise<SentMessageInfo & { settings: SmtpSettings }> {
    const generation = await this.acquire();
    generation.inFlight++;
    try {
      const info = await this.mailer.sendMail({ from: generation.settings.sender!, ...mail, transporterName: generation.name });
      return Object.assign(info, { settings: generation.settings });
    } finally {
      generation.inFlight--;
      if (generation.retired && generation.inFlight === 0) this.close(generation);
    }
  }

  /** The settings the next send will use. */
  async activeSettings(): Promise<SmtpSettings> {
    return (await this.acquire()).settings;
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

  private acquire(): Promise<Generation> {
    if (this.current) return Promise.resolve(this.current);
    this.building ??= this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  private async build(): Promise<Generation> {
    const settings = await this.settings.get();
    if (!isConfigured(settings)) throw new SmtpNotConfiguredError();
    const name = `relay-${++this.generation}`;
    this.mailer.addTransporter(name, {
      ...this.settings.transportOptions(settings),
      pool: true,
      maxConnections: settings.poolSize,
      maxMessages: 1000,
      // A message whose connection drops is re-queued in the pool a couple of times (an
      // idle connection the relay closed); after that the outbox's own retry takes over,
      // instead of nodemailer re-queueing it forever while the relay is down.
      maxRequeues: 2,
    } as never); // nodemailer's and the mailer's option types disagree; this is the one cast.
    const generation: Generation = { name, settings, inFlight: 0, retired: false };
    this.current = generation;
    this.logger.log(`SMTP pool ${name}: ${settings.host}:${settings.port} (${settings.security}, ${settings.poolSize} connections)`);
    return generation;
  }

  private close(generation: Generation): void {
    this.mailer.removeTransporter(generation.name);
  }
}
