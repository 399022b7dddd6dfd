import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { type JobEvent, parseJobEvent } from '@herald/contracts';

/** Validates the request body as a job event with the wire format's own classes (class-validator), as Herald does. */
@Injectable()
export class JobEventPipe implements PipeTransform<unknown, JobEvent> {
  transform(body: unknown): JobEvent {
    const parsed = parseJobEvent(body);
    if (!parsed.ok) throw new BadRequestException(parsed.problems);
    return parsed.event;
  }
}
