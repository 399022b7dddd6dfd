import type { SmtpSettings } from '../smtp-settings/smtp-settings';

/** Emitted (in-process) after the standby relay's settings changed (here or, noticed by a re-read, in another process). */
export class StandbySmtpSettingsChangedEvent {
  static readonly NAME = 'standby-smtp-settings.changed';
  constructor(readonly settings: SmtpSettings) {}
}
