import { registerEnumType } from '@nestjs/graphql';

/**
 * What an audit entry is about. Stored as text (varchar), so a kind added later
 * (MAIL_TEMPLATE, SUBSCRIPTION, NOTIFICATION_TARGET, …) is one more value here and
 * in the description map, with no migration.
 */
export enum AuditKind {
  SMTP_SETTINGS = 'SMTP_SETTINGS',
  STANDBY_SMTP_SETTINGS = 'STANDBY_SMTP_SETTINGS',
  MAIL_DEFAULTS = 'MAIL_DEFAULTS',
  USER_ROLE = 'USER_ROLE',
  MAIL_TEMPLATE = 'MAIL_TEMPLATE',
  MAIL_BRANDING = 'MAIL_BRANDING',
  ADDRESS_SUSPENSION = 'ADDRESS_SUSPENSION',
  REPORT_MAILBOX = 'REPORT_MAILBOX',
  NOTIFICATION_TARGET = 'NOTIFICATION_TARGET',
  QUIET_HOURS = 'QUIET_HOURS',
  SUBSCRIPTION = 'SUBSCRIPTION',
  APPLICATION_DEFAULTS = 'APPLICATION_DEFAULTS',
}
registerEnumType(AuditKind, {
  name: 'AuditKind',
  description: 'What an audit entry is about',
  valuesMap: {
    SMTP_SETTINGS: { description: 'The SMTP relay settings (updateSmtpSettings, or the first-start seed); target smtpSettings' },
    STANDBY_SMTP_SETTINGS: {
      description: 'The standby relay\'s settings (updateStandbySmtpSettings, clearStandbySmtpSettings); target standbySmtpSettings, secrets only named',
    },
    MAIL_DEFAULTS: { description: 'The default language and time zone of mails (updateMailDefaults, or the first-start seed); target mailDefaults' },
    USER_ROLE: {
      description:
        "A person's role (target: their id): role ADMIN or USER as their token carried it when it changed, or memberships[<application id>] (grantMembership, revokeMembership)",
    },
    MAIL_TEMPLATE: {
      description:
        'A mail template (updateMailTemplate, resetMailTemplate, restoreMailTemplateVersion); target <type>/<language> (JOB_FAILED/fr, LAYOUT/en): the parts changed (subject, html, text) as in effect before and after, and version',
    },
    MAIL_BRANDING: { description: 'The mails\' branding (updateMailBranding); target mailBranding: each field changed (the logo image by its type, size and SHA-256)' },
    REPORT_MAILBOX: { description: 'The mailbox bounce reports are read from (updateReportMailboxSettings); target reportMailboxSettings, the password only named' },
    QUIET_HOURS: { description: 'Default quiet hours (updateQuietHoursDefaults); target quietHours (the installation\'s) or quietHours[<application id>]: each field changed' },
    SUBSCRIPTION: {
      description: 'An ADMIN subscribed an address to an application without its confirmation (subscribeAddress with skipConfirmation); target <application id>/<address>: status and confirmation',
    },
    APPLICATION_DEFAULTS: { description: "An application's notification defaults (updateApplicationNotificationDefaults); target: the application id, a field per type" },
    ADDRESS_SUSPENSION: { description: 'An admin lifted the suspension of an address that bounced (liftAddressSuspension); target: the address, field suspended true → false' },
    NOTIFICATION_TARGET: { description: "An application's Teams, Slack or webhook target added or removed (addNotificationTarget, removeNotificationTarget); target <application id>/<target id>: its fields, the URL and signing key only named" },
  },
});

export const AUDIT_KINDS: readonly AuditKind[] = Object.values(AuditKind);
