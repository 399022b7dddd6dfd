import { Field, Int, ObjectType } from '@nestjs/graphql';
import { isConfigured, SmtpSecurity, type SmtpSettings } from '../smtp-settings';

/** The SMTP settings as the API shows them: never the password, only whether one is set. */
@ObjectType('SmtpSettings', { description: 'The SMTP relay Herald sends through (the password is never returned)' })
export class SmtpSettingsModel {
  @Field(() => String, { nullable: true, description: 'Host name or IP address of the relay; null until configured' }) host: string | null;
  @Field(() => Int, { description: 'TCP port of the relay' }) port: number;
  @Field(() => String, { nullable: true, description: 'FROM address of the mails, optionally Name <address>' }) sender: string | null;
  @Field(() => String, { nullable: true, description: 'Login for SMTP AUTH' }) username: string | null;
  @Field({ description: 'Whether a password is stored (it is never returned)' }) passwordSet: boolean;
  @Field(() => SmtpSecurity, { description: 'How the connection is secured' }) security: SmtpSecurity;
  @Field({ description: 'Whether Herald authenticates (SMTP AUTH)' }) authEnabled: boolean;
  @Field({ description: "Whether the relay's TLS certificate is checked" }) verifyCertificate: boolean;
  @Field(() => String, { nullable: true, description: "PEM of the CA trusted for a private relay's certificate" }) caCertificate: string | null;
  @Field(() => Int, { description: 'How long to wait for the connection, in milliseconds' }) connectionTimeoutMs: number;
  @Field(() => Int, { description: "How long to wait for the relay's greeting, in milliseconds" }) greetingTimeoutMs: number;
  @Field(() => Int, { description: 'How long a silent connection is kept, in milliseconds' }) socketTimeoutMs: number;
  @Field(() => Int, { description: 'Connections kept open to the relay' }) poolSize: number;
  @Field(() => String, { nullable: true, description: 'The console URL used for links in mails' }) gatewayUri: string | null;
  @Field({ description: 'Whether mail can be sent: a host and a sender are set' }) configured: boolean;
  @Field(() => Date, { nullable: true, description: 'When they last changed; null if they never have' }) updatedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Who changed them last (the sub of their token)' }) updatedBy: string | null;

  static from(settings: SmtpSettings): SmtpSettingsModel {
    const { encryptedPassword, ...visible } = settings;
    return Object.assign(new SmtpSettingsModel(), visible, {
      passwordSet: !!encryptedPassword,
      configured: isConfigured(settings),
    });
  }
}
