import { ApplicationCreatedEvent, JobEventType } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { NotificationType } from '../notification-type';

/**
 * One of Herald's own notices: a notification target of the application (Teams,
 * Slack, a signed webhook) answered 404 or 410 — its webhook was deleted — and
 * Herald disabled it (src/webhooks/dead-targets/). Herald records it as an event
 * about the application (published as APPLICATION_CREATED's shape, never by a
 * producer) in the transaction that disables the target, so it is planned,
 * retried and logged like every mail, and goes to whoever wants it (the managers
 * by default).
 */
export const targetDisabled = defineEventType<ApplicationCreatedEvent>(__dirname, {
  type: NotificationType.TARGET_DISABLED,
  derivedFrom: JobEventType.APPLICATION_CREATED,
  wire: ApplicationCreatedEvent,
  description: "A notification target of the application was disabled: its webhook answered 404 or 410 (deleted). Herald's own notice; producers cannot publish it",
  label: 'Notification target disabled',
  enabledByDefault: true,
  input: {},
  variables: {
    target: 'The target Herald disabled',
    'target.name': 'What the team calls it',
    'target.kind': 'TEAMS, SLACK or WEBHOOK',
    'target.host': "The webhook's host (never the URL)",
    'target.status': 'The HTTP status it answered (404, 410)',
    history: 'What Herald noted: the target it disabled (history.disabledTarget: the same as target, with its id)',
    'history.failuresInRow': '0',
    'history.deliveredAs': 'TARGET_DISABLED',
    'history.disabledTarget': 'The same as target, with its id',
    'history.disabledTarget.id': "The target's id (updateNotificationTarget, removeNotificationTarget)",
    'history.disabledTarget.name': 'The same as target.name',
    'history.disabledTarget.kind': 'The same as target.kind',
    'history.disabledTarget.host': 'The same as target.host',
    'history.disabledTarget.status': 'The same as target.status',
  },
  view: (event, t) => {
    const target = event.history?.disabledTarget;
    const values = { target: target?.name ?? '', kind: target?.kind ?? '', host: target?.host ?? '', status: target?.status ?? 0 };
    return { subject: t('subject', values), heading: t('heading'), color: '#bf8700', details: { target: target && { name: target.name, kind: target.kind, host: target.host, status: target.status } } };
  },
});
