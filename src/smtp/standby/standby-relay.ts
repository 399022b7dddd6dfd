import { type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { StandbySmtpSettingsChangedEvent } from '../../settings/standby-settings/standby-smtp-settings-changed.event';
import type { RelayHealth } from '../relay-health/relay-health';
import type { LiveTransport } from '../live-transport';
import type { SmtpGateway } from '../smtp-gateway';

/**
 * The standby relay's side of src/smtp: a gateway over its own pool (LiveTransport
 * on the standby's settings: its sends, relay check and test mail) and its own
 * health (row `standby` of relay_health: circuit, pacing, probes; its state
 * changes are not announced as the relay's). Built by SmtpModule from the same
 * classes as the primary's, on StandbySmtpSettingsService; its pool is rebuilt when
 * the standby's settings change.
 */
export class StandbyRelay implements OnApplicationShutdown {
  constructor(
    readonly gateway: SmtpGateway,
    readonly health: RelayHealth,
    private readonly live: LiveTransport,
  ) {}

  @OnEvent(StandbySmtpSettingsChangedEvent.NAME)
  onSettingsChanged(): void {
    this.live.onSettingsChanged();
  }

  onApplicationShutdown(): void {
    this.live.onApplicationShutdown();
  }
}
