import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailRenderer } from '../../../src/notifications/rendering/mail-renderer';
import { PEER_ENTITIES, PeerUser } from './entities';
import { EventsController } from './events.controller';
import { JobEventPipe } from './job-event.pipe';
import { MAIL_QUEUE } from './mail-job';
import { mailTransportProvider } from './mail-transport';
import { MailProcessor } from './mail.processor';
import { PeerConfig } from './peer-config';
import { RecipientsRepository } from './recipients.repository';
import { ServiceTokenGuard } from './service-token.guard';

const config = new PeerConfig();

/**
 * What a NestJS team would otherwise build for Herald's job: an HTTP endpoint
 * for events, recipients from a TypeORM table, BullMQ on Redis with one job per
 * recipient, a worker sending through a nodemailer pool. Options as each
 * library's documentation recommends (BullMQ's "Going to production": bounded
 * removeOnComplete/removeOnFail, retries with backoff; Redis runs with
 * `maxmemory-policy noeviction`, see bench/peers/redis-server.ts).
 */
@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'better-sqlite3', database: config.databasePath, entities: PEER_ENTITIES, synchronize: false }),
    TypeOrmModule.forFeature([PeerUser]),
    BullModule.forRoot({ connection: config.redis }),
    BullModule.registerQueue({
      name: MAIL_QUEUE,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 5000 },
      },
    }),
    JwtModule.register({ secret: config.jwtSecret }),
  ],
  controllers: [EventsController],
  providers: [{ provide: PeerConfig, useValue: config }, MailRenderer, mailTransportProvider, MailProcessor, RecipientsRepository, JobEventPipe, ServiceTokenGuard],
})
export class PeerModule {}
