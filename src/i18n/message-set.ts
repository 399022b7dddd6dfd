import { IntlMessageFormat } from 'intl-messageformat';
import { FALLBACK_LANGUAGE, languageOf, LANGUAGES } from './languages';
import { compareMessages, MailMessages, readJson } from './mail-messages';

/**
 * Messages that are not a mail's: those of a page Herald serves (the preferences
 * page), one JSON file per language beside what shows them (`<name>.<language>.json`,
 * ICU MessageFormat like the mails'). i18n/catalogue.spec.ts checks each set as it
 * checks the mails: every message of English in every language of LANGUAGES.
 */
export interface MessageSet {
  /** What the messages are for, in problems' lines ("preferences page"). */
  name: string;
  /** The file of one language. */
  file(language: string): string;
}

/** Every language's messages of a set; a missing file reads as no messages (the check says so). */
export function readMessageSet(set: MessageSet): Record<string, Record<string, string>> {
  return Object.fromEntries(LANGUAGES.map((language) => [language, readJson(set.file(language)) ?? {}]));
}

/** What is wrong with a set's messages, one line each (as messageProblems says it of the mails'). */
export function messageSetProblems(set: MessageSet, messages: Record<string, Record<string, string>> = readMessageSet(set)): string[] {
  const reference = messages[FALLBACK_LANGUAGE] ?? {};
  const problems = Object.keys(reference).length ? [] : [`${set.name}: ${set.file(FALLBACK_LANGUAGE)} has no messages`];
  for (const language of LANGUAGES) problems.push(...compareMessages(`${set.name} (${set.file(language)})`, language, reference, messages[language]));
  return problems;
}

/**
 * A set's messages, read, checked and parsed once (a missing or broken message
 * stops start-up, as the mails' do); `messages(locale)` words them in a locale
 * (its language's, else English), built once per locale.
 */
export class MessageSetCatalogue {
  private readonly parsed = new Map<string, Map<string, ReturnType<IntlMessageFormat['getAst']>>>();
  private readonly built = new Map<string, MailMessages>();

  constructor(set: MessageSet) {
    const messages = readMessageSet(set);
    const problems = messageSetProblems(set, messages);
    if (problems.length) throw new Error(`The messages of the ${set.name} are incomplete:\n${problems.join('\n')}`);
    for (const language of LANGUAGES) {
      this.parsed.set(language, new Map(Object.entries(messages[language]).map(([key, text]) => [key, new IntlMessageFormat(text, language).getAst()])));
    }
  }

  messages(locale: string): MailMessages {
    let messages = this.built.get(locale);
    if (!messages) {
      const parsed = this.parsed.get(languageOf(locale) ?? FALLBACK_LANGUAGE)!;
      messages = new MailMessages(locale, new Map([...parsed].map(([key, ast]) => [key, new IntlMessageFormat(ast, locale)])));
      // Locales may come from a browser's Accept-Language: a few are kept, not any number.
      if (this.built.size < 64) this.built.set(locale, messages);
    }
    return messages;
  }
}
