import { Module } from '@nestjs/common';
import { JobEventsModule } from '../job-events.module';
import { JobEventsBrokerController } from './job-events-broker.controller';

/** RabbitMQ ingestion: imported by the app only when RABBITMQ_URL is set. */
@Module({
  imports: [JobEventsModule],
  controllers: [JobEventsBrokerController],
})
export class BrokerModule {}
