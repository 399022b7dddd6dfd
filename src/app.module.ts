import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from './auth/auth.module';
import { ClockModule } from './clock/clock.module';
import { ConfigModule } from './config/config.module';
import { HeraldConfig } from './config/herald-config';
import { DatabaseModule } from './database/database.module';
import { GraphqlApiModule } from './graphql/graphql-api.module';
import { BrokerModule } from './job-events/broker/broker.module';
import { JobEventsModule } from './job-events/job-events.module';
import { NotificationsModule } from './notifications/notifications.module';
import { ObservabilityModule } from './observability/observability.module';
import { SettingsModule } from './settings/settings.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        EventEmitterModule.forRoot(),
        ThrottlerModule.forRoot({ throttlers: [{ name: 'smtp-check', ttl: 60_000, limit: config.smtpCheckRateLimit }] }),
        DatabaseModule,
        GraphqlApiModule,
        AuthModule,
        SettingsModule,
        UsersModule,
        JobEventsModule,
        NotificationsModule,
        ObservabilityModule,
        ...(config.broker ? [BrokerModule] : []),
      ],
    };
  }
}
