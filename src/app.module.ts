import { DynamicModule, Module, type Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ThrottlerModule } from '@nestjs/throttler';
import { PeopleAudienceModule } from './audiences/people/people-audience.module';
import { SubscribedAddressesModule } from './audiences/subscribed-addresses/subscribed-addresses.module';
import { AuthModule } from './auth/auth.module';
import { BouncesModule } from './bounces/bounces.module';
import type { Clock } from './clock/clock';
import { ClockModule } from './clock/clock.module';
import { ConfigModule } from './config/config.module';
import { HeraldConfig } from './config/herald-config';
import { DatabaseModule } from './database/database.module';
import { EmailModule } from './email/email.module';
import { GraphqlApiModule } from './graphql/graphql-api.module';
import { JobEventsModule } from './job-events/job-events.module';
import { NotificationsPortsModule } from './notifications/notifications-ports.module';
import { NotificationsModule } from './notifications/notifications.module';
import { ObservabilityModule } from './observability/observability.module';
import { SettingsModule } from './settings/settings.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /**
   * `clock`: the system's by default; the end-to-end suites give a ManualClock.
   * `modules`: more modules to run in the application (a channel's module written for a test, say).
   */
  static forRoot(config: HeraldConfig, { clock, modules = [] }: { clock?: Clock; modules?: Array<Type | DynamicModule> } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(clock),
        EventEmitterModule.forRoot(),
        ThrottlerModule.forRoot({ throttlers: [{ name: 'smtp-check', ttl: 60_000, limit: config.smtpCheckRateLimit }] }),
        DatabaseModule,
        GraphqlApiModule,
        AuthModule,
        SettingsModule,
        UsersModule,
        JobEventsModule,
        NotificationsModule,
        NotificationsPortsModule, // its ports for the modules that must not import it
        EmailModule, // the email channel (a delivery channel: src/channels)
        PeopleAudienceModule, // the console's people, an audience source (src/audiences)
        WebhooksModule, // notification targets: an audience source, and the Teams, Slack and signed webhook channels
        SubscribedAddressesModule, // addresses subscribed to an application (an audience source)
        BouncesModule,
        ObservabilityModule,
        ...(config.broker ? [brokerModule()] : []),
        ...modules,
      ],
    };
  }
}

/**
 * RabbitMQ ingestion, required only when RABBITMQ_URL is set: its controller pulls
 * in @nestjs/microservices, which a Herald without a broker should not load
 * (start-up time and memory; see docs/benchmarks-history.md).
 */
function brokerModule(): Type {
  return (require('./job-events/broker/broker.module') as typeof import('./job-events/broker/broker.module')).BrokerModule;
}
