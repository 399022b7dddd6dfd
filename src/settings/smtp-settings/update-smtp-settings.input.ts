import { Field, InputType, Int } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MultiLineText, SingleLineText } from '@herald/contracts';
import { Mailbox } from '@herald/contracts/address-rules';
import { MailTransportKind, SmtpAuthMethod, SmtpSecurity } from './smtp-settings';
import { IsHostName, IsHttpUrl, IsPemCertificate, IsPemPrivateKey } from './smtp-validators';

/**
 * A partial update of the SMTP settings: an absent field keeps its value, null
 * clears it. The same rules check the first-start seed (environment or YAML).
 */
@InputType({ description: 'Fields to change; absent fields keep their value, null clears one' })
export class UpdateSmtpSettingsInput {
  @Field(() => MailTransportKind, { nullable: true, description: 'What carries the mail: SMTP, or MICROSOFT_GRAPH (needs authMethod OAUTH2_CLIENT_CREDENTIALS and its fields)' })
  @IsOptional() @IsEnum(MailTransportKind)
  transport?: MailTransportKind;

  @Field(() => String, { nullable: true, description: "Microsoft Graph's endpoint (default https://graph.microsoft.com; a national cloud's, e.g. https://graph.microsoft.us); null restores the default" })
  @IsOptional() @SingleLineText({ maxLength: 2048 }) @IsHttpUrl()
  graphEndpoint?: string | null;

  @Field({ nullable: true, description: 'Host name or IP address of the relay' })
  @IsOptional() @IsString() @IsHostName()
  host?: string;

  @Field(() => Int, { nullable: true, description: 'TCP port of the relay: 587 for STARTTLS, 465 for TLS, 25 for none' })
  @IsOptional() @IsInt() @Min(1) @Max(65535)
  port?: number;

  @Field(() => String, { nullable: true, description: 'FROM address, optionally with a display name' })
  @IsOptional() @Mailbox()
  sender?: string | null;

  @Field(() => String, { nullable: true, description: "Login for SMTP AUTH, often the sender's address; Microsoft Graph: the mailbox sent as (default: the sender's address)" })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  username?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Plain text or ENC(...) from `herald encrypt-password`; empty clears it. Never returned.',
  })
  @IsOptional() @SingleLineText({ maxLength: 1024, allowEmpty: true })
  password?: string | null;

  @Field(() => SmtpSecurity, { nullable: true, description: 'How the connection is secured' })
  @IsOptional() @IsEnum(SmtpSecurity)
  security?: SmtpSecurity;

  @Field({ nullable: true, description: 'Authenticate at all (false: authMethod NONE; true: PASSWORD unless an OAuth2 method is set)' })
  @IsOptional() @IsBoolean()
  authEnabled?: boolean;

  @Field(() => SmtpAuthMethod, { nullable: true, description: 'How to authenticate; the OAuth2 methods send XOAUTH2 as `username`' })
  @IsOptional() @IsEnum(SmtpAuthMethod)
  authMethod?: SmtpAuthMethod;

  @Field(() => String, { nullable: true, description: 'Microsoft 365: the directory (tenant) id; names the token endpoint' })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  oauth2TenantId?: string | null;

  @Field(() => String, { nullable: true, description: 'OAuth2 client (application) id' })
  @IsOptional() @SingleLineText({ maxLength: 1024, allowEmpty: true })
  oauth2ClientId?: string | null;

  @Field(() => String, { nullable: true, description: 'OAuth2 client secret, plain or ENC(...); empty clears it. Never returned.' })
  @IsOptional() @SingleLineText({ maxLength: 4096, allowEmpty: true })
  oauth2ClientSecret?: string | null;

  @Field(() => String, { nullable: true, description: 'Microsoft 365 with a certificate: the certificate (PEM) registered with the app' })
  @IsOptional() @MultiLineText({ maxLength: 65536 }) @IsPemCertificate()
  oauth2Certificate?: string | null;

  @Field(() => String, { nullable: true, description: "Microsoft 365 with a certificate: the certificate's private key (PEM, or ENC(...)); never returned" })
  @IsOptional() @MultiLineText({ maxLength: 65536 }) @IsPemPrivateKey()
  oauth2PrivateKey?: string | null;

  @Field(() => String, { nullable: true, description: "Google: the service account's JSON key file (or ENC(...)); never returned" })
  @IsOptional() @MultiLineText({ maxLength: 65536 })
  oauth2ServiceAccountKey?: string | null;

  @Field(() => String, { nullable: true, description: 'OAuth2 refresh token, plain or ENC(...); never returned' })
  @IsOptional() @SingleLineText({ maxLength: 8192, allowEmpty: true })
  oauth2RefreshToken?: string | null;

  @Field(() => String, { nullable: true, description: "Token endpoint; by default derived from the method and tenant (set it for national clouds or another provider)" })
  @IsOptional() @SingleLineText({ maxLength: 2048, allowEmpty: true }) @IsHttpUrl()
  oauth2TokenUrl?: string | null;

  @Field(() => String, { nullable: true, description: "Scope asked for over SMTP; by default the method's (https://outlook.office365.com/.default, https://mail.google.com/). Microsoft Graph always asks <graphEndpoint>/.default" })
  @IsOptional() @SingleLineText({ maxLength: 2048, allowEmpty: true })
  oauth2Scope?: string | null;

  @Field(() => Int, { nullable: true, description: 'Messages per minute the relay accepts from this mailbox (Microsoft 365: 30); null: no limit' })
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000)
  quotaMessagesPerMinute?: number | null;

  @Field(() => Int, { nullable: true, description: 'Recipients per day the relay accepts from this mailbox (Microsoft 365: 10000; Google Workspace: 2000); null: no limit' })
  @IsOptional() @IsInt() @Min(1) @Max(100_000_000)
  quotaRecipientsPerDay?: number | null;

  @Field({ nullable: true, description: "Check the relay's TLS certificate (turn off only for testing)" })
  @IsOptional() @IsBoolean()
  verifyCertificate?: boolean;

  @Field(() => String, { nullable: true, description: 'PEM of the CA that signed a private relay certificate' })
  @IsOptional() @MultiLineText({ maxLength: 65536 }) @IsPemCertificate()
  caCertificate?: string | null;

  @Field(() => Int, { nullable: true, description: 'How long to wait for the connection, in milliseconds' })
  @IsOptional() @IsInt() @Min(100) @Max(600_000)
  connectionTimeoutMs?: number;

  @Field(() => Int, { nullable: true, description: "How long to wait for the relay's greeting, in milliseconds" })
  @IsOptional() @IsInt() @Min(100) @Max(600_000)
  greetingTimeoutMs?: number;

  @Field(() => Int, { nullable: true, description: 'How long a silent connection is kept, in milliseconds; Microsoft Graph: how long one request may take' })
  @IsOptional() @IsInt() @Min(100) @Max(3_600_000)
  socketTimeoutMs?: number;

  @Field(() => Int, { nullable: true, description: 'Connections kept open to the relay' })
  @IsOptional() @IsInt() @Min(1) @Max(50)
  poolSize?: number;

  @Field(() => String, { nullable: true, description: 'The console URL used for links in mails' })
  @IsOptional() @SingleLineText({ maxLength: 2048 }) @IsHttpUrl()
  gatewayUri?: string | null;
}
