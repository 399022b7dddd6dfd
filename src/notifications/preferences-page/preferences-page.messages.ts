/**
 * Every string of the preferences page, per language: one place, so that they can
 * join the mails' message catalogue. English only so far; a person whose language
 * has no entry gets English (and `lang="en"`).
 */
const en = {
  title: 'Your Herald notifications',
  greeting: (name: string) => `Notification preferences of ${name}`,
  thisMail: 'About the mail you came from',
  stopLegend: (type: string, application: string) => `Stop "${type}" mails about ${application}…`,
  stopTypeHere: (type: string, application: string) => `Stop "${type}" mails about ${application} only`,
  stopTypeEverywhere: (type: string) => `Stop "${type}" mails about every application`,
  stopEverything: 'Stop every Herald mail',
  stopButton: 'Stop these mails',
  allPreferences: 'All your preferences',
  notificationsEnabled: 'Send me notifications by mail (off: no mail at all)',
  typesLegend: 'Per kind of mail, for every application',
  on: 'On',
  off: 'Off',
  sameAsGlobal: 'As for every application',
  overrideFor: (type: string, application: string) => `"${type}" for ${application}`,
  receives: 'You receive these mails.',
  notReceiving: {
    NO_EMAIL: 'You receive no mail: your profile has no email address.',
    NOTIFICATIONS_OFF: 'You receive no mail: notifications are off.',
    OPTED_OUT: 'Off for every application.',
  },
  saveButton: 'Save my preferences',
  saved: 'Saved. Your preferences are as shown below.',
  stopped: 'Done. Your preferences are as shown below.',
  unsubscribed: (type: string, application: string) => `You will no longer receive "${type}" mails about ${application}.`,
  unsubscribedTitle: 'Unsubscribed',
  refusedTitle: 'This link does not work',
  refused: {
    invalid: 'This link is not valid: it may have been cut or changed. Open the link of a recent mail from Herald again.',
    expired: 'This link has expired. The link in a more recent mail from Herald works.',
    used: 'This link or form has been used already, and nothing was changed now. Open the link of the mail again to see your preferences.',
    gone: 'What this link was about no longer exists in Herald.',
    'not-one-click': 'This address takes a one-click unsubscribe (List-Unsubscribe=One-Click) from a mail program. Open the link of the mail to see your preferences.',
  },
};

export type PageMessages = typeof en;
export type RefusalReason = keyof PageMessages['refused'];

const CATALOGUE: Record<string, PageMessages> = { en };

/** The page's strings in the person's language (BCP 47: `fr-CA` falls back to `fr`), else English. */
export function pageMessages(locale: string | null | undefined): { lang: string; messages: PageMessages } {
  for (const tag of locale ? [locale, locale.split('-')[0]] : []) {
    const found = Object.keys(CATALOGUE).find((lang) => lang.toLowerCase() === tag.toLowerCase());
    if (found) return { lang: found, messages: CATALOGUE[found] };
  }
  return { lang: 'en', messages: en };
}
