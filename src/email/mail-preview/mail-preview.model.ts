import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('MailPreviewHeader', { description: 'A header of the previewed message' })
export class MailPreviewHeaderModel {
  @Field({ description: 'Its name: From, To, Subject, Message-ID, Auto-Submitted, List-Id, List-Unsubscribe, List-Unsubscribe-Post, …' }) name: string;
  @Field({ description: 'Its value, decoded' }) value: string;
}

@ObjectType('MailPreview', { description: 'A mail as Herald would send it: subject, both parts and the headers that matter' })
export class MailPreviewModel {
  @Field({ description: 'The subject' }) subject: string;
  @Field({ description: 'The HTML part as sent (the logo Herald keeps as cid:logo@herald)' }) html: string;
  @Field({
    description:
      'The same HTML for a front end to show in an iframe: self-contained (the logo Herald keeps as a data: URL) and with a Content-Security-Policy that lets it load nothing from outside',
  })
  frameHtml: string;
  @Field({ description: 'The plain-text part' }) text: string;
  @Field(() => [MailPreviewHeaderModel], { description: 'The headers that matter, as the message has them (addressed to you)' }) headers: MailPreviewHeaderModel[];
  @Field(() => ID, { description: "The event it is written for: the past event's id, or the example's" }) eventId: string;
  @Field({ description: "Whether that is the type's example event rather than a past one" }) example: boolean;
}

@ObjectType('SentMailPreview', { description: 'A preview sent to you' })
export class SentMailPreviewModel {
  @Field({ description: 'Where it went: your profile\'s email address' }) to: string;
  @Field({ description: 'Its Message-ID' }) messageId: string;
  @Field(() => String, { nullable: true, description: "The relay's reply, e.g. 250 2.0.0 OK" }) reply: string | null;
  @Field(() => MailPreviewModel, { description: 'What was sent' }) preview: MailPreviewModel;
}
