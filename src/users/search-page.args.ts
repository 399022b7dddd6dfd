import { ArgsType, Field } from '@nestjs/graphql';
import { IsOptional } from 'class-validator';
import { SingleLineText } from '@herald/contracts';
import { PageArgs } from '../graphql/pagination';

@ArgsType()
export class SearchPageArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Matches id, name or email, case-insensitively' })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  search?: string;
}
