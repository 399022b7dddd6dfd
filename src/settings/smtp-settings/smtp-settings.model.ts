import { Field, Int, ObjectType } from '@nestjs/graphql';
import { isConfigured, MailTransportKind, SmtpAuthMethod, SmtpSecurity, type SmtpSettings } from './smtp-settings';

/** The SMTP settings as the API shows them: never the password, only whether one is set. */
@ObjectType('SmtpSettings', { description: 'The way Herald sends mail: the SMTP relay, or Microsoft Graph (secrets are never returned)' })
export class SmtpSettingsModel {
  @Field(() => MailTransportKind, { description: 'What carries the mail: SMTP (the relay of host and port) or MICROSOFT_GRAPH' }) transport: MailTransportKind;
  @Field({ description: 'Microsoft Graph: the API endpoint (https://graph.microsoft.com, or a national cloud\'s)' }) graphEndpoint: string;
  @Field(() => String, { nullable: true, description: 'Host name or IP address of the relay; null until configured' }) host: string | null;
  @Field(() => Int, { description: 'TCP port of the relay' }) port: number;
  @Field(() => String, { nullable: true, description: 'FROM address of the mails, optionally Name <address>' }) sender: string | null;
  @Field(() => String, { nullable: true, description: "Login for SMTP AUTH; Microsoft Graph: the mailbox sent as (null: the sender's address)" }) username: string | null;
  @Field({ description: 'Whether a password is stored (it is never returned)' }) passwordSet: boolean;
  @Field(() => SmtpSecurity, { description: 'How the connection is secured' }) security: SmtpSecurity;
  @Field({ description: 'Whether Herald authenticates at all (authMethod is not NONE)' }) authEnabled: boolean;
  @Field(() => SmtpAuthMethod, { description: 'How Herald authenticates to the relay' }) authMethod: SmtpAuthMethod;
  @Field(() => String, { nullable: true, description: 'Microsoft 365: the directory (tenant) id' }) oauth2TenantId: string | null;
  @Field(() => String, { nullable: true, description: 'OAuth2 client (application) id' }) oauth2ClientId: string | null;
  @Field({ description: 'Whether an OAuth2 client secret is stored (it is never returned)' }) oauth2ClientSecretSet: boolean;
  @Field(() => String, { nullable: true, description: 'Microsoft 365 with a certificate: the certificate (PEM) registered with the app' }) oauth2Certificate: string | null;
  @Field({ description: 'Whether a private key is stored (it is never returned)' }) oauth2PrivateKeySet: boolean;
  @Field({ description: 'Whether a service account key is stored (it is never returned)' }) oauth2ServiceAccountKeySet: boolean;
  @Field({ description: 'Whether a refresh token is stored (it is never returned)' }) oauth2RefreshTokenSet: boolean;
  @Field(() => String, { nullable: true, description: 'The token endpoint set by the admin (null: derived from the method and tenant)' }) oauth2TokenUrl: string | null;
  @Field(() => String, { nullable: true, description: "The scope set by the admin for SMTP (null: the method's default); Microsoft Graph always asks <graphEndpoint>/.default" }) oauth2Scope: string | null;
  @Field(() => Int, { nullable: true, description: 'Messages a minute Herald sends at most (the relay quota); null: no limit' }) quotaMessagesPerMinute: number | null;
  @Field(() => Int, { nullable: true, description: 'Recipients a UTC day Herald sends to at most (the relay quota); null: no limit' }) quotaRecipientsPerDay: number | null;
  @Field({ description: "Whether the relay's TLS certificate is checked" }) verifyCertificate: boolean;
  @Field(() => String, { nullable: true, description: "PEM of the CA trusted for a private relay's certificate" }) caCertificate: string | null;
  @Field(() => Int, { description: 'How long to wait for the connection, in milliseconds' }) connectionTimeoutMs: number;
  @Field(() => Int, { description: "How long to wait for the relay's greeting, in milliseconds" }) greetingTimeoutMs: number;
  @Field(() => Int, { description: 'How long a silent connection is kept, in milliseconds; Microsoft Graph: how long one request may take' }) socketTimeoutMs: number;
  @Field(() => Int, { description: 'Connections kept open to the relay' }) poolSize: number;
  @Field(() => String, { nullable: true, description: 'The console URL used for links in mails' }) gatewayUri: string | null;
  @Field({ description: 'Whether mail can be sent: a sender is set, and a host (SMTP) or the Graph endpoint (MICROSOFT_GRAPH)' }) configured: boolean;
  @Field(() => Date, { nullable: true, description: 'When they last changed; null if they never have' }) updatedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Who changed them last (the sub of their token)' }) updatedBy: string | null;

  static from(settings: SmtpSettings): SmtpSettingsModel {
    const { encryptedPassword, encryptedOAuth2ClientSecret, encryptedOAuth2PrivateKey, encryptedOAuth2ServiceAccountKey, encryptedOAuth2RefreshToken, ...visible } = settings;
    return Object.assign(new SmtpSettingsModel(), visible, {
      passwordSet: !!encryptedPassword,
      oauth2ClientSecretSet: !!encryptedOAuth2ClientSecret,
      oauth2PrivateKeySet: !!encryptedOAuth2PrivateKey,
      oauth2ServiceAccountKeySet: !!encryptedOAuth2ServiceAccountKey,
      oauth2RefreshTokenSet: !!encryptedOAuth2RefreshToken,
      configured: isConfigured(settings),
    });
  }
}
