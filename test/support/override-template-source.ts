import type { NotificationType } from '../../src/event-types/notification-type';
import { FileTemplateSource } from '../../src/notifications/rendering/file-template-source';
import type { TemplateName, TemplateSource } from '../../src/notifications/rendering/template-source';

/**
 * The files' templates and messages with what a test overrides on top (as admins'
 * overrides from the database will be): each change is a new version.
 */
export class OverrideTemplateSource implements TemplateSource {
  version = 1;
  private readonly files = new FileTemplateSource();
  private readonly templates = new Map<string, string>();
  private readonly texts = new Map<string, Record<string, string>>();

  /** A template of every language, replaced from now on. */
  setTemplate(name: TemplateName, part: 'html' | 'text', template: string): void {
    this.templates.set(`${name}\n${part}`, template);
    this.version++;
  }

  /** Messages of a type in a language, replaced (each key given) from now on. */
  setMessages(type: NotificationType, language: string, messages: Record<string, string>): void {
    this.texts.set(`${type}\n${language}`, messages);
    this.version++;
  }

  template(name: TemplateName, language: string, part: 'html' | 'text'): string {
    return this.templates.get(`${name}\n${part}`) ?? this.files.template(name, language, part);
  }

  messages(type: NotificationType, language: string): Readonly<Record<string, string>> {
    return { ...this.files.messages(type, language), ...this.texts.get(`${type}\n${language}`) };
  }
}
