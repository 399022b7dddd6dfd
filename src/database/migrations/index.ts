import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Users1764000000001 } from './1764000000001-users';
import { Notifications1764000000002 } from './1764000000002-notifications';
import { HealthProbe1764000000003 } from './1764000000003-health-probe';
import { DeliveryEvents1764000000004 } from './1764000000004-delivery-events';
import { RelayQuota1764000000005 } from './1764000000005-relay-quota';
import { TimeZones1764000000006 } from './1764000000006-time-zones';
import { UsedLinks1764000000007 } from './1764000000007-used-links';
import { JobOutcomes1764000000008 } from './1764000000008-job-outcomes';
import { RelayHealth1764000000009 } from './1764000000009-relay-health';
import { UserAdmin1764000000010 } from './1764000000010-user-admin';
import { NotificationFrequency1764000000011 } from './1764000000011-notification-frequency';
import { MailCap1764000000012 } from './1764000000012-mail-cap';
import { DigestTimeZones1764000000013 } from './1764000000013-digest-time-zones';
import { DeliveryRelayFailures1764000000014 } from './1764000000014-delivery-relay-failures';
import { JobFailures1764000000015 } from './1764000000015-job-failures';
import { AuditLog1765000000001 } from './1765000000001-audit-log';
import { DeliveryChannels1765000000002 } from './1765000000002-delivery-channels';
import { Bounces1765000000010 } from './1765000000010-bounces';
import { MailTemplates1765000000020 } from './1765000000020-mail-templates';
import { SlidingQuota1766000000100 } from './1766000000100-sliding-quota';
import { DeliveryPriority1766000000101 } from './1766000000101-delivery-priority';
import { StandbyRelay1766000000200 } from './1766000000200-standby-relay';
import { SubscribedAddresses1766000000300 } from './1766000000300-subscribed-addresses';
import { QuietHours1766000000400 } from './1766000000400-quiet-hours';
import { NotificationTargets1766000000500 } from './1766000000500-notification-targets';
import { TargetPacing1766000000700 } from './1766000000700-target-pacing';
import { DeliveryClaimIndex1766000000800 } from './1766000000800-delivery-claim-index';
import { DeliveryClaimIndexId1766000000810 } from './1766000000810-delivery-claim-index-id';
import { UserEmailKeys1766000000900 } from './1766000000900-user-email-keys';

/** Every migration, in order. New ones are appended here (the CLI and the app use this list). */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  Users1764000000001,
  Notifications1764000000002,
  HealthProbe1764000000003,
  DeliveryEvents1764000000004,
  RelayQuota1764000000005,
  TimeZones1764000000006,
  UsedLinks1764000000007,
  JobOutcomes1764000000008,
  RelayHealth1764000000009,
  UserAdmin1764000000010,
  NotificationFrequency1764000000011,
  MailCap1764000000012,
  DigestTimeZones1764000000013,
  DeliveryRelayFailures1764000000014,
  JobFailures1764000000015,
  AuditLog1765000000001,
  DeliveryChannels1765000000002,
  Bounces1765000000010,
  MailTemplates1765000000020,
  SlidingQuota1766000000100,
  DeliveryPriority1766000000101,
  StandbyRelay1766000000200,
  SubscribedAddresses1766000000300,
  QuietHours1766000000400,
  NotificationTargets1766000000500,
  TargetPacing1766000000700,
  DeliveryClaimIndex1766000000800,
  DeliveryClaimIndexId1766000000810,
  UserEmailKeys1766000000900,
];
