import { Module } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from '../../../clock/clock';
import { SettingsModule } from '../../../settings/settings.module';
import { StandbySmtpSettingsService } from '../../../settings/standby-settings/standby-smtp-settings.service';
import { SmtpModule } from '../../../smtp/smtp.module';
import { StandbyRelay } from '../../../smtp/standby/standby-relay';
import { StandbyTransport } from './standby-transport';

/** The standby relay as a mail transport (StandbyTransport): the transports of smtp/ and graph/ on the standby's settings. */
@Module({
  imports: [SettingsModule, SmtpModule],
  providers: [
    {
      provide: StandbyTransport,
      inject: [StandbySmtpSettingsService, StandbyRelay, Clock, EventEmitter2],
      useFactory: (settings: StandbySmtpSettingsService, relay: StandbyRelay, clock: Clock, events: EventEmitter2) => new StandbyTransport(settings, relay, clock, events),
    },
  ],
  exports: [StandbyTransport],
})
export class StandbyTransportModule {}
