import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { IntlMessageFormat } from 'intl-messageformat';
import type { NotificationType } from '../event-types/notification-type';
import { type EventTypeDefinition, messagesFile } from '../event-types/event-type';
import { allEventTypes } from '../event-types/registry';
import { FALLBACK_LANGUAGE, languageOf, LANGUAGES } from './languages';

/** A message parsed once (its ICU syntax tree), to be bound to each locale that needs it. */
type ParsedMessage = ReturnType<IntlMessageFormat['getAst']>;

export type MessageValues = Record<string, string | number | undefined>;

/** The messages of one language as written: those every mail shares, and each type's. */
export interface LanguageMessages {
  shared: Record<string, string>;
  types: Partial<Record<NotificationType, Record<string, string>>>;
}

/** The shared messages of a language, beside this file. */
export const sharedMessagesFile = (language: string) => join(__dirname, `${language}.json`);

export function readJson(file: string): Record<string, string> | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined;
}

/** Every language's messages from their files; a missing file reads as no messages (the check says so). */
export function readMessages(types: readonly EventTypeDefinition[] = allEventTypes()): Record<string, LanguageMessages> {
  return Object.fromEntries(
    LANGUAGES.map((language) => [
      language,
      {
        shared: readJson(sharedMessagesFile(language)) ?? {},
        types: Object.fromEntries(types.map((t) => [t.type, readJson(messagesFile(t, language)) ?? {}])),
      },
    ]),
  );
}

/**
 * What is wrong with the messages, one line each: a message English has that
 * another language lacks (or one English lacks), one that is not valid ICU
 * MessageFormat, a type's message named like a shared one. English is the
 * reference: every message exists in it first.
 */
export function messageProblems(messages: Record<string, LanguageMessages>, types: readonly EventTypeDefinition[] = allEventTypes()): string[] {
  const problems: string[] = [];
  const reference = messages[FALLBACK_LANGUAGE];
  const compare = (where: string, language: string, expected: Record<string, string>, actual: Record<string, string> | undefined) =>
    problems.push(...compareMessages(where, language, expected, actual));
  for (const language of LANGUAGES) {
    const own = messages[language];
    compare(`shared messages (${sharedMessagesFile(language)})`, language, reference.shared, own?.shared);
    for (const type of types) {
      const expected = reference.types[type.type] ?? {};
      if (language === FALLBACK_LANGUAGE && !Object.keys(expected).length) problems.push(`${type.type}: ${messagesFile(type, language)} has no messages`);
      else if (language === FALLBACK_LANGUAGE && expected.typeLabel === undefined) problems.push(`${type.type}: ${messagesFile(type, language)} has no "typeLabel" (its name on the preferences page)`);
      compare(`${type.type} (${messagesFile(type, language)})`, language, expected, own?.types[type.type]);
      for (const key of Object.keys(own?.types[type.type] ?? {})) {
        if (key in reference.shared) problems.push(`${type.type}: "${key}" in ${language} has the name of a shared message`);
      }
    }
  }
  return problems;
}

/**
 * What is wrong with one file of messages of `language` against English's
 * (`expected`), one line each: a message missing, one English does not have, one
 * that is not valid ICU MessageFormat. `where` names the file.
 */
export function compareMessages(where: string, language: string, expected: Record<string, string>, actual: Record<string, string> | undefined): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(expected)) if (actual?.[key] === undefined) problems.push(`${where}: "${key}" is missing in ${language}`);
  for (const [key, text] of Object.entries(actual ?? {})) {
    if (expected[key] === undefined) problems.push(`${where}: "${key}" in ${language} is not in ${FALLBACK_LANGUAGE}`);
    try {
      new IntlMessageFormat(text, language);
    } catch (error) {
      problems.push(`${where}: "${key}" in ${language} is not ICU MessageFormat: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * The values of messages that are names from the event (applications, people,
 * versions, steps), isolated in the HTML part. Not `kind`: messages choose their
 * words by it (`{kind, select, analysis {…}}`), and a job kind is the console's word.
 */
const ISOLATED = new Set(['application', 'createdBy', 'stoppedBy', 'version', 'step']);

/**
 * One type's messages in the locale of one mail (or one page's: message-set.ts). Messages are ICU MessageFormat:
 * plurals, select, numbers and dates through Intl in that locale. Two tags mark
 * what the HTML part shows in bold: `<b>` (plain in the text part) and `<q>`
 * (quoted in the text part, as the language quotes: "…", « … »).
 */
export class MailMessages {
  /** The messages that take no value (no placeholder, no tag): written once, the same in both parts. */
  private readonly constants = new Map<string, string>();
  /** What `<b>` and `<q>` become in the text part (made once, not at each message). */
  private readonly textTags = {
    b: (chunks: string[]) => chunks.join(''),
    q: (chunks: string[]) => this.text('quoted', { text: chunks.join('') }),
  };

  /** The messages MessageWriter writes (their syntax trees), and it. */
  private readonly written = new Map<string, readonly MessageElement[]>();
  private readonly writer: MessageWriter;

  constructor(
    readonly locale: string,
    private readonly formats: ReadonlyMap<string, IntlMessageFormat>,
  ) {
    this.writer = new MessageWriter(locale);
    for (const [key, format] of formats) {
      const constant = constantOf(format);
      if (constant !== undefined) this.constants.set(key, constant);
      const elements = format.getAst() as unknown as MessageElement[];
      if (MessageWriter.writes(elements)) this.written.set(key, elements);
    }
  }

  /** A message for the plain-text part (and subjects): nothing escaped. */
  text(key: string, values: MessageValues = {}): string {
    return this.constants.get(key) ?? this.format(key, { ...values, ...this.textTags });
  }

  /**
   * A message for the HTML part: every value escaped, `<b>` and `<q>` bold, and the
   * names that came with the event (ISOLATED) each in a `<bdi>`, so that a name
   * written right to left (Arabic, Hebrew) keeps its direction without reordering
   * the sentence around it.
   */
  html(key: string, values: MessageValues = {}): string {
    const constant = this.constants.get(key);
    if (constant !== undefined) return constant;
    const escaped: Record<string, unknown> = {};
    for (const k in values) {
      const v = values[k];
      escaped[k] = v === undefined || typeof v === 'number' ? v : ISOLATED.has(k) ? `<bdi>${Handlebars.escapeExpression(v)}</bdi>` : Handlebars.escapeExpression(v);
    }
    escaped.b = escaped.q = bold;
    return this.format(key, escaped);
  }

  private format(key: string, values: Record<string, unknown>): string {
    const elements = this.written.get(key);
    const written = elements && this.writer.write(elements, values, undefined);
    if (written !== undefined) return written;
    const format = this.formats.get(key);
    if (!format) throw new Error(`No message "${key}" in ${this.locale}`);
    const result = format.format(values as Record<string, string>);
    return Array.isArray(result) ? result.join('') : String(result);
  }
}

/** An ICU message's syntax tree, as far as MessageWriter reads it. */
interface MessageElement {
  type: number;
  value?: string;
  style?: unknown;
  children?: MessageElement[];
  options?: Record<string, { value: MessageElement[] }>;
  offset?: number;
  pluralType?: 'cardinal' | 'ordinal';
}

/** @formatjs/icu-messageformat-parser's element types (its TYPE), those MessageWriter writes. */
const LITERAL = 0;
const ARGUMENT = 1;
const NUMBER = 2;
const SELECT = 5;
const PLURAL = 6;
const POUND = 7;
const TAG = 8;

/**
 * Writes the messages of one locale as intl-messageformat's format() does, without its
 * parts, its memoized formatters' keys (a JSON.stringify per number and plural) and its
 * checks per element: 5 % of Herald's CPU per one-recipient mail (docs/benchmarks-history.md).
 * It writes literals, values, `{n, number}` without a style, select, plural and
 * selectordinal (`#`), and the `<b>`/`<q>` tags (functions that join their chunks); a
 * message with anything else (dates, styles) is not given to it. Where the values are
 * not what it writes as text (a value missing, an object, a plural of a string, a select
 * without `other`), write() gives undefined and intl-messageformat formats the message,
 * with its result or its error.
 */
class MessageWriter {
  private numbers?: Intl.NumberFormat;
  private readonly plurals = new Map<string, Intl.PluralRules>();

  constructor(private readonly locale: string) {}

  /** Whether write() handles every element of a message (else intl-messageformat formats it). */
  static writes(elements: readonly MessageElement[]): boolean {
    return elements.every((el) => {
      switch (el.type) {
        case LITERAL:
        case ARGUMENT:
        case POUND:
          return true;
        case NUMBER:
          return el.style === null || el.style === undefined;
        case TAG:
          return (el.value === 'b' || el.value === 'q') && MessageWriter.writes(el.children ?? []);
        case SELECT:
        case PLURAL:
          return Object.values(el.options ?? {}).every((option) => MessageWriter.writes(option.value));
        default:
          return false;
      }
    });
  }

  /** The message written, or undefined when intl-messageformat is to format it. `pound`: what `#` stands for. */
  write(elements: readonly MessageElement[], values: Record<string, unknown>, pound: number | undefined): string | undefined {
    let out = '';
    for (const el of elements) {
      if (el.type === LITERAL) {
        out += el.value;
        continue;
      }
      if (el.type === POUND) {
        if (pound !== undefined) out += this.numberFormat().format(pound);
        continue;
      }
      const name = el.value!;
      if (!(name in values)) return undefined;
      const value = values[name];
      let part: string | undefined;
      switch (el.type) {
        case ARGUMENT:
          part = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : value ? undefined : '';
          break;
        case NUMBER:
          part = typeof value === 'number' ? this.numberFormat().format(value) : undefined;
          break;
        case TAG: {
          const inner = typeof value === 'function' ? this.write(el.children!, values, pound) : undefined;
          const tagged = inner === undefined ? undefined : (value as (chunks: string[]) => unknown)([inner]);
          part = typeof tagged === 'string' ? tagged : undefined;
          break;
        }
        case SELECT: {
          const option = (Object.hasOwn(el.options!, value as string) ? el.options![value as string] : undefined) || el.options!.other;
          part = option && this.write(option.value, values, undefined);
          break;
        }
        case PLURAL: {
          if (typeof value !== 'number') return undefined;
          const exact = `=${value}`;
          let option = Object.hasOwn(el.options!, exact) ? el.options![exact] : undefined;
          if (!option) {
            const rule = this.pluralRules(el.pluralType ?? 'cardinal').select(value - (el.offset || 0));
            option = (Object.hasOwn(el.options!, rule) ? el.options![rule] : undefined) || el.options!.other;
          }
          part = option && this.write(option.value, values, value - (el.offset || 0));
          break;
        }
      }
      if (part === undefined) return undefined;
      out += part;
    }
    return out;
  }

  private numberFormat(): Intl.NumberFormat {
    return (this.numbers ??= new Intl.NumberFormat(this.locale));
  }

  private pluralRules(type: 'cardinal' | 'ordinal'): Intl.PluralRules {
    let rules = this.plurals.get(type);
    if (!rules) this.plurals.set(type, (rules = new Intl.PluralRules(this.locale, { type })));
    return rules;
  }
}

/** `<b>` and `<q>` in the HTML part. */
const bold = (chunks: string[]) => `<b>${chunks.join('')}</b>`;

/** What a message writes when it takes no value; undefined when it needs one (formatting it without throws). */
function constantOf(format: IntlMessageFormat): string | undefined {
  try {
    const result = format.format();
    return typeof result === 'string' ? result : undefined;
  } catch {
    return undefined;
  }
}

/** A type's messages with the shared ones, in a language: where a catalogue's messages come from. */
export type MessagesOf = (type: NotificationType, language: string) => Readonly<Record<string, string>>;

/**
 * The messages of the files (src/i18n/<language>.json and each type's), read and
 * checked once: a missing or broken message stops start-up (as a missing template does).
 */
export function fileMessages(): MessagesOf {
  const messages = readMessages();
  const problems = messageProblems(messages);
  if (problems.length) throw new Error(`The mail messages are incomplete:\n${problems.join('\n')}`);
  const merged = new Map<string, Record<string, string>>();
  for (const language of LANGUAGES) {
    for (const type of allEventTypes()) merged.set(`${type.type}\n${language}`, { ...messages[language].shared, ...messages[language].types[type.type] });
  }
  return (type, language) => merged.get(`${type}\n${language}`) ?? {};
}

/**
 * The messages of every type and language, each parsed once when first used;
 * gives each (type, locale) its MailMessages, built once from the parsed messages.
 * `messagesOf`: where they come from (the files by default, checked when read).
 */
export class MailCatalogue {
  private readonly parsed = new Map<string, Map<string, ParsedMessage>>();
  private readonly built = new Map<string, MailMessages>();

  constructor(private readonly messagesOf: MessagesOf = fileMessages()) {}

  /** The messages of a type in a mail's locale (its language's, else English). */
  messages(type: NotificationType, locale: string): MailMessages {
    const key = `${type}\n${locale}`;
    let messages = this.built.get(key);
    if (!messages) {
      const parsed = this.parse(type, languageOf(locale) ?? FALLBACK_LANGUAGE);
      messages = new MailMessages(locale, new Map([...parsed].map(([k, ast]) => [k, new IntlMessageFormat(ast, locale)])));
      this.built.set(key, messages);
    }
    return messages;
  }

  private parse(type: NotificationType, language: string): Map<string, ParsedMessage> {
    const key = `${type}\n${language}`;
    let parsed = this.parsed.get(key);
    if (!parsed) {
      parsed = new Map(Object.entries(this.messagesOf(type, language)).map(([k, text]) => [k, new IntlMessageFormat(text, language).getAst()]));
      this.parsed.set(key, parsed);
    }
    return parsed;
  }
}
