import { Field, ObjectType } from '@nestjs/graphql';
import type { MailDefaults } from './mail-defaults';

@ObjectType('MailDefaults', { description: "What a mail is written in when its recipient did not say: the admin's defaults" })
export class MailDefaultsModel {
  @Field(() => String, { nullable: true, description: 'Language of the mails of people who set none (BCP 47); null: English' }) language: string | null;
  @Field(() => String, { nullable: true, description: 'IANA time zone of the mails of people who set none; null: UTC' }) timeZone: string | null;
  @Field(() => Date, { nullable: true, description: 'When a default last changed; null: never set' }) updatedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Who changed it last (a person id, or "seed")' }) updatedBy: string | null;

  static from(defaults: MailDefaults): MailDefaultsModel {
    return Object.assign(new MailDefaultsModel(), defaults);
  }
}
