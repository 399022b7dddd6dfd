import { Field, ID, ObjectType } from '@nestjs/graphql';
import type { UserEntity } from './entities/user.entity';

@ObjectType('User', { description: 'A person of the console' })
export class UserModel {
  /** Internal row id, for field resolvers; not in the schema. */
  rowId: number;

  @Field(() => ID, { description: "The person's stable id in the console (their token's sub)" }) id: string;
  @Field(() => String, { nullable: true, description: 'The name used in mails' }) displayName: string | null;
  @Field(() => String, { nullable: true, description: 'Where mails go; null means no mail' }) email: string | null;
  @Field({ description: 'The profile switch: no mail at all while off' }) notificationsEnabled: boolean;
  @Field(() => String, { nullable: true, description: 'BCP 47 language tag for mails, e.g. en or fr-FR' }) locale: string | null;
  @Field(() => String, { nullable: true, description: "IANA time zone of the times in their mails, e.g. Europe/Paris; null: the admin's default" }) timeZone: string | null;
  @Field({ description: 'When Herald first met the person' }) createdAt: Date;
  @Field({ description: 'When their profile last changed' }) updatedAt: Date;

  static from(user: UserEntity): UserModel {
    return Object.assign(new UserModel(), {
      rowId: user.id,
      id: user.externalId,
      displayName: user.displayName,
      email: user.email,
      notificationsEnabled: user.notificationsEnabled,
      locale: user.locale,
      timeZone: user.timeZone,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    });
  }
}
