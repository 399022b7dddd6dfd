import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsUrl, Matches, MaxLength, ValidateIf } from 'class-validator';
import { SingleLineText } from '@herald/contracts';

/** The most bytes a logo Herald keeps may have (it goes with every mail). */
export const LOGO_MAX_BYTES = 64 * 1024;

const HTTPS = { protocols: ['https'], require_protocol: true, require_tld: false };

/** Absent keeps a field; null (or "") clears it. */
@InputType({ description: 'The branding to change; absent fields keep their value, null clears one. logoUrl and logoImage replace each other' })
export class UpdateMailBrandingInput {
  @Field(() => String, { nullable: true, description: 'The product name (one line, at most 100 characters)' })
  @IsOptional() @SingleLineText({ maxLength: 100, allowEmpty: true })
  productName?: string | null;

  @Field(() => String, { nullable: true, description: "An https URL of the logo (the reader's mail client loads it); clears logoImage" })
  @IsOptional() @ValidateIf((_, v) => v !== '') @IsUrl(HTTPS, { message: 'must be an https URL' }) @MaxLength(2048)
  logoUrl?: string | null;

  @Field(() => String, { nullable: true, description: `A PNG, JPEG or GIF image, base64, of at most ${LOGO_MAX_BYTES} bytes: Herald keeps it and sends it inline with each mail (cid:logo@herald); clears logoUrl` })
  @IsOptional() @MaxLength(Math.ceil(LOGO_MAX_BYTES / 3) * 4 + 8, { message: `must be an image of at most ${LOGO_MAX_BYTES} bytes` })
  @ValidateIf((_, v) => v !== '') @Matches(/^[A-Za-z0-9+/]+={0,2}$/, { message: 'must be base64' })
  logoImage?: string | null;

  @Field(() => String, { nullable: true, description: 'The accent colour, #rrggbb' })
  @IsOptional() @ValidateIf((_, v) => v !== '') @Matches(/^#[0-9a-fA-F]{6}$/, { message: 'must be a colour written #rrggbb' })
  accentColor?: string | null;

  @Field(() => String, { nullable: true, description: 'A line at the bottom of every mail (plain text, at most 500 characters)' })
  @IsOptional() @SingleLineText({ maxLength: 500, allowEmpty: true })
  footer?: string | null;

  @Field(() => String, { nullable: true, description: 'Where readers get help: an https URL or a mailto: address' })
  @IsOptional() @ValidateIf((_, v) => v !== '') @MaxLength(2048) @Matches(/^(https:\/\/[^\s"<>]+|mailto:[^\s"<>@]+@[^\s"<>@]+)$/i, { message: 'must be an https URL or a mailto: address' })
  helpLink?: string | null;
}
