import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/** The clock every part of Herald reads (global; tests replace it with a ManualClock). */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }],
  exports: [Clock],
})
export class ClockModule {}
