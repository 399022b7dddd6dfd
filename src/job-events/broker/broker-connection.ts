import type { INestApplication } from '@nestjs/common';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import type { HeraldConfig } from '../../config/herald-config';
import { BrokerStatus } from './broker-status';
import { RawJobEventDeserializer } from './raw-job-event.deserializer';

/**
 * Consumes job events from RabbitMQ (@nestjs/microservices): durable queue,
 * bounded prefetch, manual acknowledgement (JobEventsBrokerController acks after
 * the commit). The transport reconnects by itself; its state shows in /health.
 *
 * Loaded by bootstrap.ts only when RABBITMQ_URL is set: @nestjs/microservices
 * and amqplib cost start-up time and memory that a Herald without a broker
 * should not pay.
 */
export function connectBroker(app: INestApplication, broker: NonNullable<HeraldConfig['broker']>): void {
  const microservice = app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.RMQ,
    options: {
      urls: [broker.url],
      queue: broker.queue,
      queueOptions: { durable: true },
      noAck: false,
      prefetchCount: broker.prefetch,
      deserializer: new RawJobEventDeserializer(),
    },
  });
  const status = app.get(BrokerStatus);
  status.state = 'connecting';
  microservice.status.subscribe((state) => (status.state = String(state)));
}
