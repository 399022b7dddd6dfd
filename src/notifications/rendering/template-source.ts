import type { NotificationType } from '../../event-types/notification-type';

/** What a mail is written from: a type's templates, or those of a digest, a summary and the layout they share. */
export type TemplateName = NotificationType | 'layout' | 'digest' | 'summary';

/**
 * Where the renderer finds templates and messages, asked by (name, language): the
 * files today (FileTemplateSource: each type's folder, the layouts beside the
 * renderer, src/i18n); admins' overrides from the database next, on top of them.
 * Provided as TEMPLATE_SOURCE.
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
  /** A type's messages (ICU MessageFormat) with the shared ones, in a language. */
  messages(type: NotificationType, language: string): Readonly<Record<string, string>>;
}

export const TEMPLATE_SOURCE = Symbol('TemplateSource');
