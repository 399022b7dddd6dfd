import { InjectQueue } from '@nestjs/bullmq';
import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import type { JobEvent } from '@herald/contracts';
import { JobEventPipe } from './job-event.pipe';
import { MAIL_QUEUE, type MailJob } from './mail-job';
import { RecipientsRepository } from './recipients.repository';
import { ServiceTokenGuard } from './service-token.guard';

@Controller()
export class EventsController {
  constructor(
    private readonly recipients: RecipientsRepository,
    @InjectQueue(MAIL_QUEUE) private readonly mail: Queue<MailJob>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Takes the same event JSON as Herald's publishJobEvent and queues one job per
   * recipient, all in one round trip (`addBulk`). The job id is derived from the
   * event and the person: an event posted twice queues nothing more — while
   * BullMQ still keeps the first jobs (removeOnComplete keeps the last 1,000).
   */
  @Post('events')
  @HttpCode(202)
  @UseGuards(ServiceTokenGuard)
  async publish(@Body(JobEventPipe) event: JobEvent): Promise<{ jobs: number }> {
    const recipients = await this.recipients.find(event.application.id, event.type);
    await this.mail.addBulk(
      recipients.map((r) => ({
        name: event.type,
        data: { event, to: { id: r.id, address: r.email, name: r.displayName } },
        opts: { jobId: `${event.id}/${r.id}` },
      })),
    );
    return { jobs: recipients.length };
  }

  /** 200 once the database and Redis answer. */
  @Get('health')
  async health(): Promise<{ status: 'ok' }> {
    await this.dataSource.query('SELECT 1');
    await this.mail.count();
    return { status: 'ok' };
  }
}
