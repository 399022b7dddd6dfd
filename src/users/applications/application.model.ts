import { Field, ID, ObjectType } from '@nestjs/graphql';
import type { ApplicationEntity } from '../entities/application.entity';

@ObjectType('Application', { description: 'An application of the console' })
export class ApplicationModel {
  @Field(() => ID, { description: "The console's id of the application" }) id: string;
  @Field({ description: "The application's name, as shown in mails" }) name: string;
  @Field({ description: 'When Herald learnt of it' }) createdAt: Date;

  static from(app: ApplicationEntity): ApplicationModel {
    return Object.assign(new ApplicationModel(), { id: app.externalId, name: app.name, createdAt: app.createdAt });
  }
}
