import { Module } from '@nestjs/common';

/** People, applications, memberships and notification preferences (issue 3). */
@Module({})
export class UsersModule {}
