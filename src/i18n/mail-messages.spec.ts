import Handlebars from 'handlebars';
import { IntlMessageFormat } from 'intl-messageformat';
import { NOTIFICATION_TYPES, type NotificationType } from '../event-types/notification-type';
import { fileMessages, MailCatalogue, type MessageValues } from './mail-messages';

// MailMessages writes most messages itself (MessageWriter) rather than through
// intl-messageformat's format(): what it writes must be what format() writes, and where
// format() fails, the same failure.

/** What MailMessages wrote before it had a writer of its own: format(), and its tags. */
function reference(source: (key: string) => string, locale: string) {
  // As MailCatalogue makes them: parsed in the language, bound to the locale.
  const formats = new Map<string, IntlMessageFormat>();
  const format = (key: string, values: Record<string, unknown>) => {
    let bound = formats.get(key);
    if (!bound) formats.set(key, (bound = new IntlMessageFormat(new IntlMessageFormat(source(key), locale.slice(0, 2)).getAst(), locale)));
    const result = bound.format(values as Record<string, string>);
    return Array.isArray(result) ? result.join('') : String(result);
  };
  const text = (key: string, values: MessageValues = {}): string =>
    format(key, { ...values, b: (chunks: string[]) => chunks.join(''), q: (chunks: string[]) => text('quoted', { text: chunks.join('') }) });
  const html = (key: string, values: MessageValues = {}): string => {
    const escaped: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) {
      escaped[k] = v === undefined || typeof v === 'number' ? v : ['application', 'createdBy', 'stoppedBy', 'version', 'step'].includes(k) ? `<bdi>${Handlebars.escapeExpression(v)}</bdi>` : Handlebars.escapeExpression(v);
    }
    const bold = (chunks: string[]) => `<b>${chunks.join('')}</b>`;
    return format(key, { ...escaped, b: bold, q: bold });
  };
  return { text, html };
}

/** The value names of a message, with values to try for each: every option of a select, numbers for plurals. */
function candidates(source: string): Map<string, Array<string | number | undefined>> {
  const found = new Map<string, Array<string | number | undefined>>();
  const visit = (elements: ReturnType<IntlMessageFormat['getAst']>) => {
    for (const el of elements as Array<{ type: number; value?: string; options?: Record<string, { value: never }>; children?: never }>) {
      if (el.type === 0 || el.type === 7) continue;
      const list = found.get(el.value!) ?? [];
      if (el.type === 5) list.push(...Object.keys(el.options!), 'unlisted');
      else if (el.type === 6 || el.type === 2) list.push(0, 1, 2, 3, 4, 11, 12, 21, 22, 23, 101, 1234.5, 1000000);
      else list.push('Billing & <Co>', '', 'مرحبا', 7, undefined);
      found.set(el.value!, list);
      for (const option of Object.values(el.options ?? {})) visit(option.value);
      if (el.children) visit(el.children);
    }
  };
  visit(new IntlMessageFormat(source, 'en').getAst());
  return found;
}

/** Sets of values that try each candidate of each name at least once. */
function valueSets(source: string): MessageValues[] {
  const names = [...candidates(source)];
  const rounds = Math.max(1, ...names.map(([, list]) => list.length));
  return Array.from({ length: rounds }, (_, i) => Object.fromEntries(names.map(([name, list], n) => [name, list[(i + n) % list.length]])));
}

describe('MailMessages', () => {
  const catalogue = new MailCatalogue();
  const messagesOf = fileMessages();

  it.each(['en', 'fr', 'en-GB', 'fr-CA'])('writes every message of every type as intl-messageformat does, in %s', (locale) => {
    let compared = 0;
    for (const type of NOTIFICATION_TYPES) {
      const sources = messagesOf(type, locale.slice(0, 2));
      const expected = reference((key) => sources[key], locale);
      const messages = catalogue.messages(type, locale);
      for (const [key, source] of Object.entries(sources)) {
        for (const values of valueSets(source)) {
          expect([key, messages.text(key, values)]).toEqual([key, expected.text(key, values)]);
          expect([key, messages.html(key, values)]).toEqual([key, expected.html(key, values)]);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  const own = {
    missing: 'Hello {name}',
    pluralOfText: '{count, plural, one {# job} other {# jobs}}',
    nested: '{count, plural, offset:1 =0 {nobody} one {<b>#</b> alone} other {{kind, select, analysis {# and # more: #} other {<q>#</q> others}}}}',
    date: 'On {when, date, short}',
    otherTag: 'An <i>{name}</i>',
    quoted: '“{text}”',
  };
  const ownCatalogue = new MailCatalogue(() => own);
  const ownMessages = (locale: string) => ownCatalogue.messages('JOB_FAILED' as NotificationType, locale);

  it.each([
    ['nested', { count: 0, kind: 'analysis' }],
    ['nested', { count: 1, kind: 'analysis' }],
    ['nested', { count: 2, kind: 'analysis' }],
    ['nested', { count: 5, kind: 'snapshot' }],
    ['pluralOfText', { count: '3' }],
    ['date', { when: Date.UTC(2026, 11, 7) }],
    ['missing', { name: { toString: () => 'an object' } } as unknown as MessageValues],
    ['missing', { name: 0 }],
  ] as Array<[keyof typeof own, MessageValues]>)('writes %s with %j as intl-messageformat does', (key, values) => {
    for (const locale of ['en', 'fr']) {
      const expected = reference((k) => own[k as keyof typeof own], locale);
      expect(ownMessages(locale).text(key, values)).toBe(expected.text(key, values));
      expect(ownMessages(locale).html(key, values)).toBe(expected.html(key, values));
    }
  });

  it.each([
    ['missing', {}],
    ['otherTag', { name: 'x' }],
  ] as Array<[keyof typeof own, MessageValues]>)('fails %s with %j as intl-messageformat does', (key, values) => {
    const expected = reference((k) => own[k as keyof typeof own], 'en');
    expect(() => expected.text(key, values)).toThrow();
    const error = (() => {
      try {
        expected.text(key, values);
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(() => ownMessages('en').text(key, values)).toThrow(error.message);
    expect(() => ownMessages('en').html(key, values)).toThrow(error.constructor as new () => Error);
  });
});
