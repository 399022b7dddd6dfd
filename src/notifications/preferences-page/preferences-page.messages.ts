import { join } from 'node:path';
import type { MessageSet } from '../../i18n/message-set';

/**
 * Every string of the preferences page and of its short answers (one-click
 * unsubscribe, a link that does not work): `preferences-page.<language>.json`
 * beside this file, one per language of src/i18n/languages.ts, ICU MessageFormat
 * like the mails' messages and checked with them (src/i18n/catalogue.spec.ts).
 * The event types' names come from each type's own messages (`typeLabel`).
 */
export const PREFERENCES_PAGE_MESSAGES: MessageSet = {
  name: 'preferences page',
  file: (language) => join(__dirname, `preferences-page.${language}.json`),
};

/**
 * Why a link does not work: each has its `refused.<reason>` message. `address-changed`:
 * the mail went to an address the person no longer has. `too-large`: a body over HTTP_BODY_LIMIT.
 */
export type RefusalReason = 'invalid' | 'expired' | 'used' | 'gone' | 'address-changed' | 'not-one-click' | 'too-large';
