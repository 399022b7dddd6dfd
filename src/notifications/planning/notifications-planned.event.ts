/** Emitted after a transaction that planned deliveries commits: the dispatcher wakes at once. */
export class NotificationsPlannedEvent {
  static readonly NAME = 'notifications.planned';
  constructor(
    readonly eventId: string,
    readonly deliveries: number,
  ) {}
}
