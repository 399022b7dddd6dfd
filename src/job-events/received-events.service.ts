import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PlannedEventsService } from '../notifications/delivery-log/planned-events.service';
import { JobEventEntity } from './entities/job-event.entity';
import { JobEventModel } from './graphql/job-event.model';

/**
 * The events Herald received, as event(id) shows them: when and how each came in
 * (the inbox), with the event itself and its number of deliveries (from
 * notifications, which stores the event once).
 */
@Injectable()
export class ReceivedEventsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly planned: PlannedEventsService,
  ) {}

  async find(id: string): Promise<JobEventModel | null> {
    const inbox = await this.dataSource.getRepository(JobEventEntity).findOneBy({ id });
    if (!inbox) return null;
    // Recorded in the same transaction as the inbox row: one without the other is a broken database.
    const planned = await this.planned.find(id);
    if (!planned) throw new Error(`event ${id} is in the inbox but its notification is missing`);
    return JobEventModel.from(inbox, planned.event, planned.deliveries);
  }
}
