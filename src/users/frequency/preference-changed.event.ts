import type { NotificationType } from '../../event-types/notification-type';
import type { NotificationFrequency } from './notification-frequency';

/**
 * Announced by users once a person's choice for a type is committed: the digests
 * hand what was waiting to someone who no longer wants a digest for it.
 */
export class PreferenceChangedEvent {
  static readonly NAME = 'preferences.changed';
  constructor(
    readonly userId: string,
    readonly eventType: NotificationType,
    /** null: the global choice. */
    readonly applicationId: string | null,
    /** null: the choice was forgotten (back to the default or the global choice). */
    readonly frequency: NotificationFrequency | null,
  ) {}
}
