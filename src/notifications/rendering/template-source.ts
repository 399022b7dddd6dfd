import type { NotificationType } from '../../event-types/notification-type';
import type { MailBranding } from './mail-branding';

/** What a mail is written from: a type's templates, or those of a digest, a summary and the layout they share. */
export type TemplateName = NotificationType | 'layout' | 'digest' | 'summary';

/**
 * Where the renderer finds templates and messages, asked by (name, language): the
 * files (FileTemplateSource: each type's folder, the layouts beside the
 * renderer, src/i18n) and admins' overrides from the database on top of them
 * (DatabaseTemplateSource, src/notifications/mail-templates/). Provided as TEMPLATE_SOURCE.
 *
 * A source that changes what it answers changes `version`: compiled templates
 * and parsed messages (MailRenderer) and the composed mails (the email channel's
 * MessageComposer) are kept per version, and dropped when it changes. A source
 * checks what it answers before answering it (a template that does not compile,
 * a message missing in a language): the files at start, where a problem stops
 * start-up.
 */
export interface TemplateSource {
  readonly version: number;
  /** A template (Handlebars), its HTML or plain-text part, in a language. */
  template(name: TemplateName, language: string, part: 'html' | 'text'): string;
  /** A type's subject (Handlebars, plain text) in a language; without it, DEFAULT_SUBJECT. */
  subject?(type: NotificationType, language: string): string;
  /** A type's messages (ICU MessageFormat) with the shared ones, in a language. */
  messages(type: NotificationType, language: string): Readonly<Record<string, string>>;
  /**
   * What this source lays its own templates over (the files): a mail whose
   * override fails to render is written with these instead (MailRenderer).
   */
  readonly defaults?: TemplateSource;
  /** What the mails show of the enterprise that sends them (MailBranding); without it, Herald's. */
  branding?(): MailBranding;
}

/** Herald's own subject: the one the type's view writes, after "[Application] ". */
export const DEFAULT_SUBJECT = '{{subject}}';

export const TEMPLATE_SOURCE = Symbol('TemplateSource');
