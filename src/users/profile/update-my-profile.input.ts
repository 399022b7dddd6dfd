import { InputType } from '@nestjs/graphql';
import { ProfileFields } from './profile-fields';

@InputType({ description: 'Changes to your own profile; absent fields keep their value, null clears one' })
export class UpdateMyProfileInput extends ProfileFields {}
