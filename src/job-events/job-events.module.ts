import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BrokerStatus } from './broker/broker-status';
import { JobEventEntity } from './entities/job-event.entity';
import { JobEventsController } from './publishing/job-events.controller';
import { JobEventsResolver } from './publishing/job-events.resolver';
import { JobEventEmitterListener } from './ingestion/job-event-emitter.listener';
import { JobEventInbox } from './ingestion/job-event-inbox';
import { JobEventIngestionService } from './ingestion/job-event-ingestion.service';
import { ReceivedEventsService } from './received-events.service';

/**
 * The ways events come in — in-process emitter, GraphQL, HTTP `POST /events` (and
 * the broker, which plugs into JobEventIngestionService) — and the inbox that makes each event count once.
 */
@Module({
  imports: [TypeOrmModule.forFeature([JobEventEntity])],
  controllers: [JobEventsController],
  providers: [JobEventInbox, JobEventIngestionService, JobEventEmitterListener, ReceivedEventsService, JobEventsResolver, BrokerStatus],
  exports: [JobEventIngestionService, ReceivedEventsService, BrokerStatus],
})
export class JobEventsModule {}
