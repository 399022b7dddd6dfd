import { type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { Clock } from '../../../clock/clock';
import { StandbySmtpSettingsChangedEvent } from '../../../settings/standby-settings/standby-smtp-settings-changed.event';
import type { StandbySmtpSettingsService } from '../../../settings/standby-settings/standby-smtp-settings.service';
import type { StandbyRelay } from '../../../smtp/standby/standby-relay';
import type { MailTransport } from '../../mail-transport.port';
import { GraphTransport } from '../graph/graph-transport';
import { SelectedTransport } from '../selected-transport';
import { SmtpTransport } from '../smtp/smtp-transport';

/**
 * The standby relay as a mail transport: the primary's transports (SMTP, Microsoft
 * Graph, chosen by its settings' `transport` in a SelectedTransport of its own) on
 * the standby's settings, pool, tokens and health (src/smtp/standby). Built by
 * StandbyTransportModule; the failover (../failover-transport.ts) sends through it
 * while the primary is down. Its own settings' changes rebuild its route and probe
 * it at once, as the primary's do.
 */
export class StandbyTransport implements OnModuleDestroy, OnApplicationShutdown {
  readonly transport: MailTransport;
  private readonly selected: SelectedTransport;
  private readonly graph: GraphTransport;

  constructor(settings: StandbySmtpSettingsService, relay: StandbyRelay, clock: Clock, events: EventEmitter2) {
    const smtp = new SmtpTransport(relay.gateway, relay.health);
    this.graph = new GraphTransport(settings, relay.gateway, relay.health, clock);
    this.selected = new SelectedTransport(settings, smtp, this.graph, relay.health, events);
    this.transport = this.selected;
  }

  @OnEvent(StandbySmtpSettingsChangedEvent.NAME, { async: true })
  async onSettingsChanged(): Promise<void> {
    this.graph.onSettingsChanged();
    await this.selected.onSettingsChanged();
  }

  onModuleDestroy(): Promise<void> {
    return this.selected.onModuleDestroy();
  }

  onApplicationShutdown(): void {
    this.graph.onApplicationShutdown();
  }
}
