import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templateFile } from '../../event-types/event-type';
import type { NotificationType } from '../../event-types/notification-type';
import { allEventTypes } from '../../event-types/registry';
import { fileMessages, type MessagesOf } from '../../i18n/mail-messages';
import type { TemplateName, TemplateSource } from './template-source';

/** The templates every mail shares, beside this file (a digest and a summary are no type of event: they list events of any type). */
const SHARED: Record<Exclude<TemplateName, NotificationType>, string> = { layout: 'layout', digest: 'digest', summary: 'summary' };

/**
 * Templates and messages as Herald ships them: each type's from its folder
 * (src/event-types/<type>/), the shared ones beside this file and in src/i18n/.
 * Read and checked once, when Herald starts (a file missing or a message missing
 * stops start-up); the same for every language but the messages. They never change.
 */
export class FileTemplateSource implements TemplateSource {
  readonly version = 1;
  private readonly templates = new Map<string, string>();
  private readonly messagesOf: MessagesOf;

  constructor() {
    const read = (file: string) => readFileSync(file, 'utf8');
    for (const part of ['html', 'text'] as const) {
      for (const [name, file] of Object.entries(SHARED)) this.templates.set(`${name}\n${part}`, read(join(__dirname, `${file}.${part}.hbs`)));
      for (const definition of allEventTypes()) this.templates.set(`${definition.type}\n${part}`, read(templateFile(definition, part)));
    }
    this.messagesOf = fileMessages();
  }

  template(name: TemplateName, _language: string, part: 'html' | 'text'): string {
    const template = this.templates.get(`${name}\n${part}`);
    if (template === undefined) throw new Error(`No ${part} template for ${name}`);
    return template;
  }

  messages(type: NotificationType, language: string): Readonly<Record<string, string>> {
    return this.messagesOf(type, language);
  }
}
