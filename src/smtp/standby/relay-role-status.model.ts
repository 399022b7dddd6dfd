import { Field, ObjectType } from '@nestjs/graphql';
import { MailTransportKind } from '../../settings/smtp-settings/smtp-settings';
import { RelayRole } from '../../settings/standby-settings/relay-role';
import { RelayFailureModel } from '../relay-health/relay-status.model';
import { RelayState } from '../relay-health/relay-state-changed.event';

@ObjectType('RelayRoleStatus', { description: 'One way out (the primary or the standby relay): what it is and its state' })
export class RelayRoleStatusModel {
  @Field(() => RelayRole, { description: 'PRIMARY or STANDBY' }) role: RelayRole;
  @Field(() => MailTransportKind, { description: 'What carries its mail: SMTP or MICROSOFT_GRAPH' }) transport: MailTransportKind;
  @Field(() => String, { nullable: true, description: 'Where it sends: host:port of the relay, or Microsoft Graph <host> as <mailbox>; null while not configured' }) name: string | null;
  @Field(() => RelayState, { description: 'OK, DEGRADED, DOWN or NOT_CONFIGURED' }) state: RelayState;
  @Field({ description: 'Since when it is in this state' }) since: Date;
  @Field(() => Date, { nullable: true, description: 'When a mail or a probe last went through it' }) lastSuccessAt: Date | null;
  @Field(() => RelayFailureModel, { nullable: true, description: 'Its last failure of the transport as a whole, if any' }) lastFailure: RelayFailureModel | null;
  @Field(() => Date, { nullable: true, description: 'While its sending is paced: when the next mail may go' }) pacedUntil: Date | null;
}
