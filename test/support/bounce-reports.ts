import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Message-ID each fixture returns (test/fixtures/bounces/README.md). */
export const FIXTURE_MESSAGE_IDS: Record<string, string> = {
  'postfix-unknown-local-user.eml': '<herald.9f86d081884c7d65.1005@bounces.test>',
  'postfix-remote-unknown-user.eml': '<herald.9f86d081884c7d65.1001@bounces.test>',
  'postfix-mailbox-full.eml': '<herald.9f86d081884c7d65.1002@bounces.test>',
  'postfix-headers-only.eml': '<herald.9f86d081884c7d65.1004@bounces.test>',
  'postfix-delayed.eml': '<herald.9f86d081884c7d65.1003@bounces.test>',
  'postfix-expired-soft.eml': '<herald.9f86d081884c7d65.1003@bounces.test>',
  'exchange-online-unknown-recipient.eml': '<herald.4b227777d4dd1fc6.2187@contoso.com>',
  'exchange-legacy-text.eml': '<herald.4b227777d4dd1fc6.2190@corp.example.com>',
  'exchange-delayed.eml': '<herald.4b227777d4dd1fc6.2188@contoso.com>',
  'gmail-address-not-found.eml': '<herald.e7f6c011776e8db7.3301@example.com>',
  'gmail-legacy-text.eml': '<herald.e7f6c011776e8db7.3302@example.com>',
  'out-of-office-exchange.eml': '<herald.4b227777d4dd1fc6.2189@contoso.com>',
  'out-of-office-vacation.eml': '<herald.e7f6c011776e8db7.3303@example.com>',
  'not-a-report.eml': '<herald.e7f6c011776e8db7.3304@example.com>',
  'malformed-truncated.eml': '<herald.9f86d081884c7d65.1005@bounces.test>',
  'malformed-no-message-id.eml': '<herald.9f86d081884c7d65.1005@bounces.test>',
};

/** The failed recipient each report names (none: not a report of a failed recipient). */
export const FIXTURE_RECIPIENTS: Record<string, string> = {
  'postfix-unknown-local-user.eml': 'alice@herald.test',
  'postfix-remote-unknown-user.eml': 'gone@remote.test',
  'postfix-mailbox-full.eml': 'full@remote.test',
  'postfix-headers-only.eml': 'bob@herald.test',
  'postfix-delayed.eml': 'late@slow.test',
  'postfix-expired-soft.eml': 'late@slow.test',
  'exchange-online-unknown-recipient.eml': 'bob.former@contoso.com',
  'exchange-legacy-text.eml': 'carol.left@corp.example.com',
  'exchange-delayed.eml': 'frank@fabrikam.example',
  'gmail-address-not-found.eml': 'dana.gone@gmail.com',
  'gmail-legacy-text.eml': 'erin.old@example.org',
  'malformed-truncated.eml': 'alice@herald.test',
  'malformed-no-message-id.eml': 'alice@herald.test',
};

/**
 * A fixture report made about one of Herald's mails: the Message-ID it returns
 * replaced with `messageId` and, given `address`, the recipient it names with the
 * address that mail went to (a report about another address is not the mail's
 * address's bounce), as an IMAP server serves it (CRLF line ends).
 */
export function reportAbout(fixture: string, messageId: string, address?: string): Buffer {
  let text = readFileSync(join(__dirname, '..', 'fixtures', 'bounces', fixture), 'utf8');
  const original = FIXTURE_MESSAGE_IDS[fixture];
  if (!original) throw new Error(`no Message-ID known for ${fixture}`);
  text = text.split(original).join(messageId);
  const named = FIXTURE_RECIPIENTS[fixture];
  if (address && named) text = text.replace(new RegExp(named.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), address);
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'));
}
