/** A person whose mails are being folded now: their cap window is full. */
export interface HeldBack {
  /** When the window's summary mail leaves. */
  windowEnd: Date;
  /** Mails wanted in the window so far (the first `cap` went). */
  mails: number;
  cap: number;
}

/**
 * What the mail cap says about people now, for recipientsPreview: notifications'
 * MailCap (src/notifications/cap/), provided as MAIL_CAP_STATE by
 * NotificationsPortsModule — users does not read notifications' tables.
 */
export interface MailCapState {
  /** Those of these people whose current window is full. */
  heldBack(recipientIds: string[]): Promise<Map<string, HeldBack>>;
}

export const MAIL_CAP_STATE = Symbol('MailCapState');
