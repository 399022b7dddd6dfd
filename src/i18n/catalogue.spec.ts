import { readFileSync } from 'node:fs';
import type { JobEvent } from '@herald/contracts';
import { messagesFile } from '../event-types/event-type';
import { allEventTypes } from '../event-types/registry';
import { PREFERENCES_PAGE_MESSAGES } from '../notifications/preferences-page/preferences-page.messages';
import { MailRenderer } from '../notifications/rendering/mail-renderer';
import { LANGUAGES } from './languages';
import { MailCatalogue, messageProblems, readMessages } from './mail-messages';
import { MessageSetCatalogue, messageSetProblems, readMessageSet } from './message-set';

// The catalogue: every message of every event type (and of the layout every mail shares,
// and of the preferences page) exists in every language of LANGUAGES, as English has it,
// and is valid ICU MessageFormat. A new language or a new type is complete when this
// passes (docs/templates.md).

describe('mail messages', () => {
  it('exist in every language, for every type and for the layout', () => {
    expect(messageProblems(readMessages())).toEqual([]);
  });

  it('name the message missing in a language', () => {
    const messages = readMessages();
    delete messages.fr.types.JOB_FAILED!.logEnd;
    delete messages.fr.shared.when;
    messages.fr.types.JOB_STOPPED!.extra = 'Hors catalogue';
    messages.fr.types.VERSION_CREATED!.body = 'Une {version';
    expect(messageProblems(readMessages()).length).toBe(0);
    expect(messageProblems(messages)).toEqual([
      expect.stringMatching(/^shared messages \(.*fr\.json\): "when" is missing in fr$/),
      expect.stringMatching(/^JOB_STOPPED \(.*job-stopped\.fr\.json\): "extra" in fr is not in en$/),
      expect.stringMatching(/^JOB_FAILED \(.*job-failed\.fr\.json\): "logEnd" is missing in fr$/),
      expect.stringMatching(/^VERSION_CREATED \(.*version-created\.fr\.json\): "body" in fr is not ICU MessageFormat/),
    ].sort((a, b) => order(a) - order(b)));
  });

  it("name each type in every language, English's as GraphQL's label", () => {
    const catalogue = new MailCatalogue();
    for (const definition of allEventTypes()) {
      expect(catalogue.messages(definition.type, 'en').text('typeLabel')).toBe(definition.label);
      expect(new Set(LANGUAGES.map((language) => catalogue.messages(definition.type, language).text('typeLabel'))).size).toBe(LANGUAGES.length);
    }
    const messages = readMessages();
    delete messages.en.types.JOB_STOPPED!.typeLabel;
    delete messages.fr.types.JOB_STOPPED!.typeLabel;
    expect(messageProblems(messages)).toEqual([expect.stringMatching(/^JOB_STOPPED: .*job-stopped\.en\.json has no "typeLabel"/)]);
  });
});

describe('preferences page messages', () => {
  it('exist in every language', () => {
    expect(messageSetProblems(PREFERENCES_PAGE_MESSAGES)).toEqual([]);
  });

  it('name the message missing in a language, and stop start-up', () => {
    const messages = readMessageSet(PREFERENCES_PAGE_MESSAGES);
    delete messages.fr['refused.expired'];
    messages.fr.stopButton = 'Arrêter {';
    expect(messageSetProblems(PREFERENCES_PAGE_MESSAGES, messages)).toEqual([
      expect.stringMatching(/^preferences page \(.*preferences-page\.fr\.json\): "refused\.expired" is missing in fr$/),
      expect.stringMatching(/^preferences page \(.*preferences-page\.fr\.json\): "stopButton" in fr is not ICU MessageFormat/),
    ]);
    const missing = { ...PREFERENCES_PAGE_MESSAGES, file: (language: string) => PREFERENCES_PAGE_MESSAGES.file(language).replace(/fr\.json$/, 'xx.json') };
    expect(() => new MessageSetCatalogue(missing)).toThrow(/preferences page .*"title" is missing in fr/);
  });

  it.each(LANGUAGES)('word every message in %s', (locale) => {
    const messages = new MessageSetCatalogue(PREFERENCES_PAGE_MESSAGES).messages(locale);
    const values = { name: 'Ann', expiresAt: '24 Nov', type: 'T', application: 'App', text: 'x', what: 'W', hour: '08', timeZone: 'Europe/Paris' };
    for (const key of Object.keys(readMessageSet(PREFERENCES_PAGE_MESSAGES).en)) expect(messages.text(key, values)).not.toMatch(/undefined|\{|\}/);
  });
});

describe('mail messages, worded', () => {
  // Every type's example, in every language: each message gets the values it uses.
  let renderer: MailRenderer | undefined; // built in the test: with a message missing, Herald does not start
  const examples = allEventTypes().map((definition) => JSON.parse(readFileSync(messagesFile(definition, 'en').replace(/\.en\.json$/, '.example.json'), 'utf8')) as JobEvent);
  for (const [index, definition] of allEventTypes().entries()) {
    const event = examples[index];
    it.each(LANGUAGES)(`word the example of ${definition.type} in %s`, (locale) => {
      const mail = (renderer ??= new MailRenderer()).render(event, { gatewayUri: 'http://console' }, { locale, timeZone: 'Europe/Paris' });
      expect(mail.html).toContain(`<html lang="${locale}">`);
      for (const part of [mail.subject, mail.html, mail.text]) expect(part).not.toMatch(/undefined|\{|\}/);
    });
  }

  // A digest of every type's example (and of one event: the singular), in every language: its own words
  // are in that language, not English (the shared digest* messages), and each line is the type's own.
  it.each(LANGUAGES)('word a digest of every type in %s', (locale) => {
    renderer ??= new MailRenderer();
    for (const events of [examples, examples.slice(0, 1)]) {
      const mail = renderer.renderDigest(events, { gatewayUri: 'http://console' }, { locale, timeZone: 'Europe/Paris' });
      expect(mail.html).toContain(`<html lang="${locale}">`);
      for (const part of [mail.subject, mail.html, mail.text]) expect(part).not.toMatch(/undefined|\{|\}/);
      if (locale !== 'en') {
        const english = renderer.renderDigest(events, { gatewayUri: 'http://console' }, { locale: 'en', timeZone: 'Europe/Paris' });
        expect(mail.subject).not.toBe(english.subject);
        for (const line of mail.text.split('\n').filter((l) => /^(You |Your |Change )/.test(l))) throw new Error(`English in the ${locale} digest: ${line}`);
      }
    }
  });
});

/** The order messageProblems reports in: shared messages first, then types in the registry's order. */
function order(matcher: unknown): number {
  const text = String((matcher as { sample?: RegExp }).sample ?? matcher);
  return text.includes('shared') ? -1 : allEventTypes().findIndex((t) => text.includes(t.type));
}
