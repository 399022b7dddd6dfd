import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('MailLogoImage', { description: 'The logo image Herald keeps and attaches to each mail (shown by its Content-ID)' })
export class MailLogoImageModel {
  @Field({ description: 'image/png, image/jpeg or image/gif' }) contentType: string;
  @Field(() => Int, { description: 'Its size in bytes' }) size: number;
  @Field({ description: 'Its SHA-256, in hex' }) sha256: string;
}

@ObjectType('MailBranding', { description: "What every mail shows of the enterprise that sends it: used by Herald's layouts, and given to every template as branding.*" })
export class MailBrandingModel {
  @Field(() => String, { nullable: true, description: 'The product name, above the heading (and the logo\'s text); null: none' }) productName: string | null;
  @Field(() => String, { nullable: true, description: "An https URL of the logo, which the reader's mail client loads; null when none (or when Herald keeps the image)" }) logoUrl: string | null;
  @Field(() => MailLogoImageModel, { nullable: true, description: 'The logo image Herald keeps and sends inline with each mail (nothing fetched from the internet when a mail is read); null when none' })
  logoImage: MailLogoImageModel | null;
  @Field(() => String, { nullable: true, description: "The accent colour (#rrggbb) of the layout's buttons, and of the mails of types without a colour of their own; null: Herald's" }) accentColor: string | null;
  @Field(() => String, { nullable: true, description: 'A line at the bottom of every mail; null: none' }) footer: string | null;
  @Field(() => String, { nullable: true, description: 'Where readers get help (https or mailto), linked at the bottom of every mail; null: none' }) helpLink: string | null;
  @Field(() => Date, { nullable: true, description: 'When it last changed; null: never set' }) updatedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Who changed it last: the subject (sub) of their token' }) updatedBy: string | null;
  @Field(() => String, { nullable: true, description: "Their name, from their token's name claim" }) updatedByName: string | null;
}
