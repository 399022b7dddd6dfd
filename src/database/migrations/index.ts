import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Users1764000000001 } from './1764000000001-users';
import { Notifications1764000000002 } from './1764000000002-notifications';
import { HealthProbe1764000000003 } from './1764000000003-health-probe';
import { RelayQuota1764000000005 } from './1764000000005-relay-quota';
import { TimeZones1764000000006 } from './1764000000006-time-zones';

/** Every migration, in order. New ones are appended here (the CLI and the app use this list). */
export const MIGRATIONS = [InitialSchema1764000000000, Users1764000000001, Notifications1764000000002, HealthProbe1764000000003, RelayQuota1764000000005, TimeZones1764000000006];
