import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { ChannelsChangedEvent } from '../../channels/delivery-channel.port';
import { MailTransportKind, type SmtpSettings } from '../../settings/smtp-settings/smtp-settings';
import { SmtpSettingsChangedEvent } from '../../settings/smtp-settings/smtp-settings-changed.event';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { RelayHealth } from '../../smtp/relay-health/relay-health';
import type { SmtpCheckResult } from '../../smtp/smtp-gateway';
import type { MailHold, MailRoute, MailTransport } from '../mail-transport.port';
import { DelegatingTransport } from './delegating-transport';
import { GraphTransport } from './graph/graph-transport';
import { SmtpTransport } from './smtp/smtp-transport';

/**
 * MAIL_TRANSPORT: the transport the live settings name (`transport`: SMTP or
 * MICROSOFT_GRAPH), asked again at every route, refresh and check, so that a
 * change of the settings switches the next mail over without a restart. A factory
 * provider would choose once, at start; the email channel keeps one transport for
 * the life of the process, so the choice lives here, in one small delegate. Both
 * transports are built; the one not in use holds nothing open (the SMTP pool is
 * built on first use, Graph's tokens on its first request).
 *
 * What a transport answered (a route, an error, its classification) goes back to
 * that transport, also after a switch: a mail under way when the settings changed
 * is recorded by the transport that sent it. The health (circuit, pacing, quota)
 * is the relay's, one for whichever transport is in use; a settings change resets
 * its circuit, and the dispatcher then looks again at what waited.
 */
@Injectable()
export class SelectedTransport extends DelegatingTransport implements MailTransport, OnModuleDestroy {
  private readonly logger = new Logger('MailTransport');
  /** The transport of the settings as last read. */
  private live: MailTransport;
  /** The relay's circuit being reset after a settings change (one at a time; shutdown waits: it writes). */
  private resetting?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly smtp: SmtpTransport,
    private readonly graph: GraphTransport,
    private readonly health: RelayHealth,
    private readonly events: EventEmitter2,
  ) {
    super();
    this.live = smtp;
  }

  get name(): string {
    return this.live.name;
  }

  async isConfigured(): Promise<boolean> {
    return (await this.select()).isConfigured();
  }

  async refresh(): Promise<void> {
    return (await this.select()).refresh();
  }

  holding(): MailHold | undefined {
    return this.live.holding();
  }

  async route(): Promise<MailRoute | undefined> {
    const transport = await this.select();
    const route = await transport.route();
    if (route) this.remember(route, transport);
    return route;
  }

  /** The check of the transport these settings name (saved, or changes not saved yet). */
  verify(settings: SmtpSettings): Promise<SmtpCheckResult> {
    return this.of(settings).verify(settings);
  }

  async sendTest(to: string): Promise<SmtpCheckResult> {
    return (await this.select()).sendTest(to);
  }

  /** New settings: another transport perhaps; a relay that was down is probed at once; then the dispatcher looks at what waited. */
  @OnEvent(SmtpSettingsChangedEvent.NAME, { async: true })
  async onSettingsChanged(): Promise<void> {
    if (this.stopping) return;
    const previous = this.resetting;
    const resetting: Promise<void> = (async () => {
      await previous;
      const before = this.live;
      const now = await this.select();
      if (now !== before) this.logger.log(`mail now goes through ${now === this.graph ? 'Microsoft Graph' : 'the SMTP relay'}`);
      await this.health.settingsChanged();
    })()
      .catch((e: Error) => this.logger.error(`could not reset the relay's circuit: ${e.message}`))
      .finally(() => {
        if (this.resetting === resetting) this.resetting = undefined;
      });
    this.resetting = resetting;
    await resetting;
    await this.events.emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
  }

  /** Mails were put back to wait for the hold: the transport in use may say how many wait now. */
  waitingChanged(): Promise<void> {
    return this.live.waitingChanged?.() ?? Promise.resolve();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.resetting;
  }

  private async select(): Promise<MailTransport> {
    this.live = this.of(await this.settings.get());
    return this.live;
  }

  private of(settings: SmtpSettings): MailTransport {
    return settings.transport === MailTransportKind.MICROSOFT_GRAPH ? this.graph : this.smtp;
  }

  protected current(): MailTransport {
    return this.live;
  }
}
