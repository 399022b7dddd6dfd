/**
 * What a mail falls back to when its recipient did not say: the admin's default
 * language (BCP 47, one Herald writes in) and time zone (IANA). Null: English, UTC.
 * Stored as rows of `properties`, apart from the SMTP settings: they do not change
 * the relay, and changing them does not re-create the pool.
 */
export interface MailDefaults {
  language: string | null;
  timeZone: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** Field of MailDefaults ⇄ row of `properties`. */
export const MAIL_DEFAULTS_KEYS = {
  language: 'mail.default-language',
  timeZone: 'mail.default-time-zone',
} as const;

export type MailDefaultsField = keyof typeof MAIL_DEFAULTS_KEYS;
export const MAIL_DEFAULTS_FIELDS = Object.keys(MAIL_DEFAULTS_KEYS) as MailDefaultsField[];

/** First-start values, from the environment (as SMTP_HOST and the others seed the SMTP settings). */
export const MAIL_DEFAULTS_SEED_VARIABLES: Record<string, MailDefaultsField> = {
  MAIL_DEFAULT_LANGUAGE: 'language',
  MAIL_DEFAULT_TIME_ZONE: 'timeZone',
};
