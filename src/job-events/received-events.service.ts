import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobEventEntity } from './entities/job-event.entity';

/** The inbox, read: when and how an event came in (the event itself is stored once, by notifications). */
@Injectable()
export class ReceivedEventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  find(id: string): Promise<JobEventEntity | null> {
    return this.dataSource.getRepository(JobEventEntity).findOneBy({ id });
  }
}
