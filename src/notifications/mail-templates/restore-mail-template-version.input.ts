import { Field, ID, InputType } from '@nestjs/graphql';
import { Matches } from 'class-validator';

@InputType({ description: 'An earlier version to bring back (as a new version)' })
export class RestoreMailTemplateVersionInput {
  @Field(() => ID, { description: "The version's id (MailTemplateVersion.id)" })
  @Matches(/^[1-9]\d{0,15}$/, { message: 'must be the id of a version (mailTemplateVersions)' })
  id: string;
}
