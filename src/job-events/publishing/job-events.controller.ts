import { Body, Controller, HttpCode, HttpStatus, Post, Req, UnsupportedMediaTypeException } from '@nestjs/common';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { HeraldConfig } from '../../config/herald-config';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { type IngestOutcome, type IngestResult, InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';

/** Where a producer without GraphQL (curl, a CI job) posts events. */
export const EVENTS_PATH = '/events';

/**
 * `POST /events`: one event in the wire format as the JSON body, the way in for a
 * producer that is a shell script or a CI job; or an array of events, each answered
 * on its own as by publishJobEvents. The same as those mutations: a SERVICE or ADMIN
 * token (the global AuthGuard), the body limit of every request (HTTP_BODY_LIMIT),
 * at most GRAPHQL_MAX_BATCH_EVENTS in an array, the wire format's parser naming each
 * invalid field (400 with `problems`), 503 with Retry-After while the database is
 * unavailable (HeraldExceptionFilter). Answers 202 once the events and their
 * deliveries are committed: the mail itself goes out later.
 */
@Controller()
export class JobEventsController {
  constructor(
    private readonly ingestion: JobEventIngestionService,
    private readonly config: HeraldConfig,
  ) {}

  @Post(EVENTS_PATH)
  @HttpCode(HttpStatus.ACCEPTED)
  @Roles(Role.SERVICE, Role.ADMIN)
  async publish(@Req() request: { is(type: string): string | false | null }, @Body() body: unknown): Promise<IngestResult | IngestOutcome[]> {
    // The JSON parser reads only application/json (in UTF-8, -16 or -32); any other body would arrive unread.
    if (!request.is('application/json')) throw new UnsupportedMediaTypeException('Send the event as JSON, with Content-Type: application/json');
    if (Array.isArray(body)) {
      const max = this.config.requestLimits.batchEvents;
      if (body.length > max) throw BadUserInputError.field('body', `at most ${max} events per request (GRAPHQL_MAX_BATCH_EVENTS), got ${body.length}`);
      return this.ingestion.ingestEach(body, 'http');
    }
    try {
      return await this.ingestion.ingest(body, 'http');
    } catch (error) {
      if (error instanceof InvalidJobEventError) throw new BadUserInputError(error.problems);
      throw error;
    }
  }
}
