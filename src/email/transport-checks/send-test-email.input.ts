import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsOptional } from 'class-validator';
import { EmailAddress } from '@herald/contracts/address-rules';
import { RelayRole } from '../../settings/standby-settings/relay-role';

@InputType({ description: 'Where to send a test mail' })
export class SendTestEmailInput {
  @Field({ description: 'Where to send the test mail' })
  @EmailAddress()
  to: string;

  @Field(() => RelayRole, { nullable: true, description: 'Through which way out: PRIMARY (default) or STANDBY (the standby relay, whatever the primary\'s state)' })
  @IsOptional() @IsEnum(RelayRole)
  relay?: RelayRole;
}
