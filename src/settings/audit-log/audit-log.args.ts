import { ArgsType, Field, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsDate, IsEnum, IsOptional, ValidateNested } from 'class-validator';
import { PageArgs } from '../../graphql/pagination';
import { AuditKind } from './audit-kind';

@InputType({ description: 'Narrows the audit log; every field given must match' })
export class AuditLogFilter {
  @Field(() => AuditKind, { nullable: true, description: 'Only entries of this kind' }) @IsOptional() @IsEnum(AuditKind)
  kind?: AuditKind;

  @Field(() => Date, { nullable: true, description: 'Made at or after' }) @IsOptional() @IsDate()
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Made before' }) @IsOptional() @IsDate()
  to?: Date;
}

@ArgsType()
export class AuditLogArgs extends PageArgs {
  @Field(() => AuditLogFilter, { nullable: true, description: 'What to show; every entry when absent' })
  @IsOptional() @ValidateNested() @Type(() => AuditLogFilter)
  filter?: AuditLogFilter;
}
