/**
 * The languages Herald writes mails in. Each has its shared messages here
 * (`<language>.json`) and a `<type>.<language>.json` in every event type's folder
 * (docs/templates.md, "A new language"); i18n/catalogue.spec.ts fails when one is missing.
 */
export const LANGUAGES = ['en', 'fr'] as const;

export type Language = (typeof LANGUAGES)[number];

/** The language of the last resort: every message exists in it first. */
export const FALLBACK_LANGUAGE: Language = 'en';

/** The language Herald has messages for behind a BCP 47 tag ("fr-CA" → "fr"), if any. */
export function languageOf(tag: string | null | undefined): Language | undefined {
  if (!tag) return undefined;
  return remembered(languages, tag, () => {
    const locale = canonical(tag);
    const language = locale && new Intl.Locale(locale).language;
    return (LANGUAGES as readonly string[]).includes(language ?? '') ? (language as Language) : undefined;
  });
}

/**
 * The locale a mail is written in: the recipient's when Herald has its language
 * (kept whole, so "fr-CA" dates read the Canadian way), else the admin's default
 * language, else English.
 */
export function mailLocale(recipientLocale: string | null | undefined, defaultLanguage: string | null | undefined): string {
  if (languageOf(recipientLocale)) return canonical(recipientLocale)!;
  return languageOf(defaultLanguage) ? canonical(defaultLanguage)! : FALLBACK_LANGUAGE;
}

/**
 * The first tag of a browser's Accept-Language ("fr-CH, fr;q=0.9, en;q=0.8") in a
 * language Herald has, by preference (q); undefined when none is. For a page whose
 * reader Herald does not know (a link that does not work).
 */
export function preferredLocale(acceptLanguage: unknown): string | undefined {
  if (typeof acceptLanguage !== 'string') return undefined;
  const ranges = acceptLanguage
    .slice(0, 512)
    .split(',')
    .map((range, index) => {
      const [tag, ...params] = range.trim().split(';');
      const q = Number(/^\s*q=([0-9.]+)\s*$/.exec(params.find((p) => /^\s*q=/.test(p)) ?? '')?.[1] ?? 1);
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const found = ranges.find((r) => languageOf(r.tag));
  return found && canonical(found.tag);
}

/** "fr-fr" → "fr-FR"; undefined for what Intl does not take as a tag. */
function canonical(tag: string | null | undefined): string | undefined {
  if (!tag) return undefined;
  return remembered(canonicals, tag, () => {
    try {
      return Intl.getCanonicalLocales(tag.replace(/_/g, '-'))[0];
    } catch {
      return undefined;
    }
  });
}

/**
 * Answers by tag, asked for every mail (its reader's locale): Intl's parsing each time
 * was 1 % of Herald's CPU with one recipient per event. Tags are few; the first
 * REMEMBERED_TAGS are kept, any beyond are worked out each time.
 */
const REMEMBERED_TAGS = 1000;
const canonicals = new Map<string, string | undefined>();
const languages = new Map<string, Language | undefined>();
function remembered<V>(answers: Map<string, V>, tag: string, work: () => V): V {
  if (answers.has(tag)) return answers.get(tag)!;
  const answer = work();
  if (answers.size < REMEMBERED_TAGS) answers.set(tag, answer);
  return answer;
}
