import { Field, Int, ObjectType } from '@nestjs/graphql';
import { isConfigured, SmtpAuthMethod, SmtpSecurity, type SmtpSettings } from '../smtp-settings';

/** The SMTP settings as the API shows them: never the password, only whether one is set. */
@ObjectType('SmtpSettings')
export class SmtpSettingsModel {
  @Field(() => String, { nullable: true }) host: string | null;
  @Field(() => Int) port: number;
  @Field(() => String, { nullable: true }) sender: string | null;
  @Field(() => String, { nullable: true }) username: string | null;
  @Field({ description: 'Whether a password is stored (it is never returned)' }) passwordSet: boolean;
  @Field(() => SmtpSecurity) security: SmtpSecurity;
  @Field({ description: 'Whether Herald authenticates at all (authMethod is not NONE)' }) authEnabled: boolean;
  @Field(() => SmtpAuthMethod) authMethod: SmtpAuthMethod;
  @Field(() => String, { nullable: true }) oauth2TenantId: string | null;
  @Field(() => String, { nullable: true }) oauth2ClientId: string | null;
  @Field({ description: 'Whether an OAuth2 client secret is stored (it is never returned)' }) oauth2ClientSecretSet: boolean;
  @Field(() => String, { nullable: true }) oauth2Certificate: string | null;
  @Field({ description: 'Whether a private key is stored (it is never returned)' }) oauth2PrivateKeySet: boolean;
  @Field({ description: 'Whether a service account key is stored (it is never returned)' }) oauth2ServiceAccountKeySet: boolean;
  @Field({ description: 'Whether a refresh token is stored (it is never returned)' }) oauth2RefreshTokenSet: boolean;
  @Field(() => String, { nullable: true, description: 'The token endpoint set by the admin (null: derived from the method and tenant)' }) oauth2TokenUrl: string | null;
  @Field(() => String, { nullable: true }) oauth2Scope: string | null;
  @Field(() => Int, { nullable: true }) quotaMessagesPerMinute: number | null;
  @Field(() => Int, { nullable: true }) quotaRecipientsPerDay: number | null;
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
