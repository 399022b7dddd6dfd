import { Module } from '@nestjs/common';

/** The event catalogue and the ways events come in (issue 4; the broker in issue 5). */
@Module({})
export class JobEventsModule {}
