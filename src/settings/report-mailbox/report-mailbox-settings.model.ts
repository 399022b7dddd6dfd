import { Field, Int, ObjectType } from '@nestjs/graphql';
import { MailboxAuthMethod, MailboxSecurity, ReportMailboxProtocol, type ReportMailboxSettings } from './report-mailbox-settings';

/** The report mailbox as the API shows it: never the password, only whether one is set. */
@ObjectType('ReportMailboxSettings', { description: 'The mailbox Herald reads bounce reports from (the password is never returned)' })
export class ReportMailboxSettingsModel {
  @Field(() => ReportMailboxProtocol, { description: 'IMAP, GRAPH, or NONE: reports are not read' }) protocol: ReportMailboxProtocol;
  @Field(() => String, { nullable: true, description: 'Host name or IP address of the IMAP server' }) host: string | null;
  @Field(() => Int, { description: 'TCP port' }) port: number;
  @Field(() => MailboxSecurity, { description: 'How the connection is secured' }) security: MailboxSecurity;
  @Field(() => MailboxAuthMethod, { description: "PASSWORD, or OAUTH2 with the relay's OAuth2 client" }) authMethod: MailboxAuthMethod;
  @Field(() => String, { nullable: true, description: "The mailbox signed in as; null: the relay's username" }) username: string | null;
  @Field({ description: 'Whether a password is stored (it is never returned)' }) passwordSet: boolean;
  @Field({ description: 'The folder reports arrive in' }) folder: string;
  @Field({ description: 'Where recorded reports are moved' }) processedFolder: string;
  @Field({ description: 'Where reports Herald cannot read are moved' }) asideFolder: string;
  @Field(() => Int, { description: 'How often the mailbox is read, in seconds' }) pollIntervalSeconds: number;
  @Field(() => String, { nullable: true, description: "GRAPH: Microsoft Graph's root; null: the mail settings' graphEndpoint" }) graphUrl: string | null;
  @Field({ description: "Whether the server's TLS certificate is checked" }) verifyCertificate: boolean;
  @Field(() => String, { nullable: true, description: "PEM of the CA trusted for a private server's certificate" }) caCertificate: string | null;
  @Field(() => Date, { nullable: true, description: 'When they last changed; null if they never have' }) updatedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Who changed them last (the sub of their token)' }) updatedBy: string | null;

  static from(settings: ReportMailboxSettings): ReportMailboxSettingsModel {
    const { encryptedPassword, ...visible } = settings;
    return Object.assign(new ReportMailboxSettingsModel(), visible, { passwordSet: !!encryptedPassword });
  }
}
