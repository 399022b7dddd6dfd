import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { SmtpCheckStep } from '../smtp-check-result.model';
import { RelayState } from './relay-state-changed.event';

registerEnumType(RelayState, {
  name: 'RelayState',
  description: "The relay's state as Herald sees it",
  valuesMap: {
    OK: { description: 'Mail goes out' },
    DEGRADED: { description: 'Mail goes out, but relay-wide failures were seen lately, or sending is paced (the relay quota, or the relay asked to slow down: pacedRate)' },
    DOWN: { description: 'The circuit is open: nothing is sent, deliveries wait without spending attempts, the relay is probed with backoff' },
    NOT_CONFIGURED: { description: 'No host or sender is set (Microsoft Graph: no sender): deliveries wait' },
  },
});

@ObjectType({ description: 'The last relay-wide failure' })
export class RelayFailureModel {
  @Field(() => SmtpCheckStep, { description: 'The step it failed at (CONNECT, AUTH, TOKEN, …)' }) step: SmtpCheckStep;
  @Field(() => String, { nullable: true, description: "The relay's reply, e.g. 535 5.7.8 Authentication credentials invalid" }) reply: string | null;
  @Field({ description: 'What happened, in one line (never a secret)' }) description: string;
  @Field({ description: 'When it happened' }) at: Date;
}

@ObjectType({ description: "The relay's health: the circuit breaker, pacing, and the deliveries waiting for it" })
export class RelayStatusModel {
  @Field(() => RelayState, { description: 'OK, DEGRADED, DOWN or NOT_CONFIGURED' }) state: RelayState;
  @Field({ description: 'Since when the relay is in this state (NOT_CONFIGURED: the last state change)' }) since: Date;
  @Field(() => Date, { nullable: true, description: 'When a mail or a probe last went through' }) lastSuccessAt: Date | null;
  @Field(() => RelayFailureModel, { nullable: true, description: 'The last relay-wide failure, if any' }) lastFailure: RelayFailureModel | null;
  @Field(() => Int, { description: 'Deliveries WAITING (for the relay, for pacing, or for settings)' }) deliveriesWaiting: number;
  @Field(() => Date, { nullable: true, description: 'When the oldest of them was planned' }) oldestWaitingAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'While sending is paced: when the next mail may go' }) pacedUntil: Date | null;
  @Field(() => Date, { nullable: true, description: "While paced by the relay quota: about when the last delivery waiting now will go, at the quota's pace" })
  pacedLastAt: Date | null;
  @Field(() => Int, {
    nullable: true,
    description:
      'After the relay asked to slow down (a throttling reply): the messages a minute Herald sends now, halved at each such reply and grown back by a quarter each clean minute; null when not slowed down',
  })
  pacedRate: number | null;
}
