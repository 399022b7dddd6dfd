import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { HeraldConfig } from '../../config/herald-config';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { PublishJobEventInput, PublishJobEventResult, PublishJobEventsOutcome } from './publish-job-event.input';

/** The input as the wire format has it: plain objects and arrays, and no nulls for absent optional fields. */
function toWireFormat(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  if (Array.isArray(input)) return input.map(toWireFormat);
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== null) plain[key] = toWireFormat(value);
  return plain;
}

@Resolver()
export class JobEventsResolver {
  constructor(
    private readonly ingestion: JobEventIngestionService,
    private readonly config: HeraldConfig,
  ) {}

  @Mutation(() => PublishJobEventResult, { description: 'Hands a job event to Herald; mails are planned before it answers' })
  @Roles(Role.SERVICE, Role.ADMIN)
  async publishJobEvent(
    // Typed as a plain object so that the API's validation pipe passes it through: the wire
    // format's own parser (libs/contracts) validates it, naming each field, in ingest().
    @Args('input', { type: () => PublishJobEventInput, description: 'The event; publishing an id again returns duplicate: true and sends nothing' }) input: object,
  ): Promise<PublishJobEventResult> {
    try {
      return await this.ingestion.ingest(toWireFormat(input), 'graphql');
    } catch (error) {
      if (error instanceof InvalidJobEventError) throw new BadUserInputError(error.problems);
      throw error;
    }
  }

  /** Several events in one request, each answered on its own (JobEventIngestionService.ingestEach). */
  @Mutation(() => [PublishJobEventsOutcome], {
    description:
      'Hands several job events to Herald (at most GRAPHQL_MAX_BATCH_EVENTS); each is answered on its own, in order: accepted, duplicate, or refused with its invalid fields. Mails are planned before it answers',
  })
  @Roles(Role.SERVICE, Role.ADMIN)
  async publishJobEvents(
    @Args('inputs', { type: () => [PublishJobEventInput], description: 'The events; one that is invalid is refused alone, the others are recorded' }) inputs: object[],
  ): Promise<PublishJobEventsOutcome[]> {
    const max = this.config.requestLimits.batchEvents;
    if (inputs.length > max) throw BadUserInputError.field('inputs', `at most ${max} events per request (GRAPHQL_MAX_BATCH_EVENTS), got ${inputs.length}`);
    return this.ingestion.ingestEach(inputs.map(toWireFormat), 'graphql');
  }
}
