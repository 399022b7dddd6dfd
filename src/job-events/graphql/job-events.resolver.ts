import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { PublishJobEventInput, PublishJobEventResult } from './publish-job-event.input';

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
  constructor(private readonly ingestion: JobEventIngestionService) {}

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
}
