import type { SmtpSettings } from './smtp-settings';

/** Emitted (in-process) after new SMTP settings are committed; the transport rebuilds on it. */
export class SmtpSettingsChangedEvent {
  static readonly NAME = 'smtp-settings.changed';
  constructor(readonly settings: SmtpSettings) {}
}
