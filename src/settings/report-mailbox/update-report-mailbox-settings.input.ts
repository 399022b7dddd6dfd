import { Field, InputType, Int } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MultiLineText, SingleLineText } from '@herald/contracts';
import { IsHostName, IsHttpUrl, IsPemCertificate } from '../smtp-settings/smtp-validators';
import { MailboxAuthMethod, MailboxSecurity, ReportMailboxProtocol } from './report-mailbox-settings';

/** A partial update of the report mailbox: an absent field keeps its value, null clears it. */
@InputType({ description: 'Fields of the report mailbox to change; absent fields keep their value, null clears one' })
export class UpdateReportMailboxSettingsInput {
  @Field(() => ReportMailboxProtocol, { nullable: true, description: 'IMAP or GRAPH to read reports, NONE to stop' })
  @IsOptional() @IsEnum(ReportMailboxProtocol)
  protocol?: ReportMailboxProtocol;

  @Field(() => String, { nullable: true, description: 'Host name or IP address of the IMAP server (outlook.office365.com, imap.gmail.com)' })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true }) @IsHostName()
  host?: string | null;

  @Field(() => Int, { nullable: true, description: 'TCP port: 993 for TLS, 143 for STARTTLS' })
  @IsOptional() @IsInt() @Min(1) @Max(65535)
  port?: number;

  @Field(() => MailboxSecurity, { nullable: true, description: 'How the connection is secured' })
  @IsOptional() @IsEnum(MailboxSecurity)
  security?: MailboxSecurity;

  @Field(() => MailboxAuthMethod, { nullable: true, description: "PASSWORD, or OAUTH2 with the relay's OAuth2 client" })
  @IsOptional() @IsEnum(MailboxAuthMethod)
  authMethod?: MailboxAuthMethod;

  @Field(() => String, { nullable: true, description: "The mailbox to sign in as; null: the relay's username (the sender's mailbox)" })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'Plain text or ENC(...) from `herald encrypt-password`; empty clears it. Never returned.' })
  @IsOptional() @SingleLineText({ maxLength: 1024, allowEmpty: true })
  password?: string | null;

  @Field(() => String, { nullable: true, description: 'The folder reports arrive in (INBOX)' })
  @IsOptional() @SingleLineText({ maxLength: 255 })
  folder?: string;

  @Field(() => String, { nullable: true, description: 'Where recorded reports are moved (created when missing), e.g. Herald/Processed' })
  @IsOptional() @SingleLineText({ maxLength: 255 })
  processedFolder?: string;

  @Field(() => String, { nullable: true, description: 'Where reports Herald cannot read are moved (created when missing), e.g. Herald/Unreadable' })
  @IsOptional() @SingleLineText({ maxLength: 255 })
  asideFolder?: string;

  @Field(() => Int, { nullable: true, description: 'How often the mailbox is read, in seconds (1 to 86400)' })
  @IsOptional() @IsInt() @Min(1) @Max(86_400)
  pollIntervalSeconds?: number;

  @Field(() => String, { nullable: true, description: "GRAPH: Microsoft Graph's root; null: the mail settings' graphEndpoint (https://graph.microsoft.com unless a national cloud's)" })
  @IsOptional() @SingleLineText({ maxLength: 2048 }) @IsHttpUrl()
  graphUrl?: string | null;

  @Field({ nullable: true, description: "Check the server's TLS certificate (turn off only for testing)" })
  @IsOptional() @IsBoolean()
  verifyCertificate?: boolean;

  @Field(() => String, { nullable: true, description: "PEM of the CA that signed a private server's certificate" })
  @IsOptional() @MultiLineText({ maxLength: 65536 }) @IsPemCertificate()
  caCertificate?: string | null;
}
