import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { JOB_EVENT_CHANNEL } from '@herald/contracts';
import { type IngestResult, JobEventIngestionService } from './job-event-ingestion.service';

/**
 * The in-process way in: a module of the same app emits
 * `eventEmitter.emitAsync(JOB_EVENT_CHANNEL, event)` and gets the IngestResult
 * back. Failures are logged by the ingestion (naming the field) and not
 * rethrown, so that a plain `emit` cannot crash the process; a producer that
 * must know uses JobEventIngestionService directly.
 */
@Injectable()
export class JobEventEmitterListener {
  constructor(private readonly ingestion: JobEventIngestionService) {}

  @OnEvent(JOB_EVENT_CHANNEL, { async: true, promisify: true, suppressErrors: true })
  onJobEvent(payload: unknown): Promise<IngestResult> {
    return this.ingestion.ingest(payload, 'emitter');
  }
}
