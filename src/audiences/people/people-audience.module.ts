import { Module } from '@nestjs/common';
import { UsersModule } from '../../users/users.module';
import { PeopleAudience } from './people-audience';

/** The console's people as an audience source (the managers of each application). */
@Module({
  imports: [UsersModule],
  providers: [PeopleAudience],
})
export class PeopleAudienceModule {}
