import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobEventsModule } from '../job-events/job-events.module';
import { SmtpModule } from '../smtp/smtp.module';
import { UsersModule } from '../users/users.module';
import { AlertWebhook } from './alerts/alert-webhook';
import { RelayAlerts } from './alerts/relay-alerts';
import { HealthController } from './health/health.controller';
import { ReadinessIndicators } from './health/readiness-indicators';
import { HeraldMetrics } from '../metrics/herald-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { QueueGauges } from './metrics/queue-gauges';
import { RelayStateMetrics } from './metrics/relay-state-metrics';

/**
 * What an operator watches: /health (liveness, readiness), /metrics, and the
 * alerts when the relay is down. Global so that the pipeline's few counting calls
 * (ingestion, dispatcher, broker, token source) find HeraldMetrics wherever they
 * are; they take it as optional, so their unit tests need none. It reads the
 * outbox's queue through the QUEUE_STATS port (src/channels), which notifications
 * provides: observability imports nothing of notifications.
 */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), JobEventsModule, SmtpModule, UsersModule],
  controllers: [HealthController, MetricsController],
  providers: [HeraldMetrics, QueueGauges, RelayStateMetrics, ReadinessIndicators, AlertWebhook, RelayAlerts],
  exports: [HeraldMetrics, AlertWebhook],
})
export class ObservabilityModule {}
