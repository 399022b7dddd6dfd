import { Field, Int, ObjectType } from '@nestjs/graphql';
import { isConfigured, SmtpSecurity, type SmtpSettings } from '../smtp-settings';

/** The SMTP settings as the API shows them: never the password, only whether one is set. */
@ObjectType('SmtpSettings')
export class SmtpSettingsModel {
  @Field(() => String, { nullable: true }) host: string | null;
  @Field(() => Int) port: number;
  @Field(() => String, { nullable: true }) sender: string | null;
  @Field(() => String, { nullable: true }) username: string | null;
  @Field({ description: 'Whether a password is stored (it is never returned)' }) passwordSet: boolean;
  @Field(() => SmtpSecurity) security: SmtpSecurity;
  @Field() authEnabled: boolean;
  @Field() verifyCertificate: boolean;
  @Field(() => String, { nullable: true }) caCertificate: string | null;
  @Field(() => Int) connectionTimeoutMs: number;
  @Field(() => Int) greetingTimeoutMs: number;
  @Field(() => Int) socketTimeoutMs: number;
  @Field(() => Int) poolSize: number;
  @Field(() => String, { nullable: true }) gatewayUri: string | null;
  @Field({ description: 'Whether mail can be sent: a host and a sender are set' }) configured: boolean;
  @Field(() => Date, { nullable: true }) updatedAt: Date | null;
  @Field(() => String, { nullable: true }) updatedBy: string | null;

  static from(settings: SmtpSettings): SmtpSettingsModel {
    const { encryptedPassword, ...visible } = settings;
    return Object.assign(new SmtpSettingsModel(), visible, {
      passwordSet: !!encryptedPassword,
      configured: isConfigured(settings),
    });
  }
}
