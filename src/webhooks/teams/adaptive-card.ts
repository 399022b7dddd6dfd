import type { ChatLine, ChatMessage } from '../messages/chat-message';
import type { WebhookFormat } from '../webhook-format';

/**
 * Microsoft Teams: a Workflows webhook ("Post to a channel when a webhook request is
 * received") takes a message with one Adaptive Card attachment. Version 1.4, the
 * one Teams renders everywhere (mobile included). Text that came with the event
 * goes in TextRuns (a RichTextBlock's runs are not read as markdown: an error
 * message, an application's or a job's name, a step cannot become a link — a
 * FactSet's titles and values would be); the log in a monospace run.
 */
export const TEAMS_FORMAT: WebhookFormat = {
  channel: 'teams',
  intervalMs: 250,
  write: ({ message }) => ({ body: JSON.stringify(teamsMessage(message)), headers: {} }),
};

/**
 * Teams refuses a message over about 28 KB (413 Request Entity Too Large). A
 * digest's lines, newest first, are kept while the request stays under this, with
 * a margin; the others are counted in a last line, as Slack's are.
 */
export const TEAMS_MESSAGE_BYTES = 24 * 1024;

export function teamsMessage(message: ChatMessage): object {
  return envelope(adaptiveCard(message));
}

function envelope(card: object): object {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

/** The card: a coloured heading, the facts, the error and the end of the log, the lines of a digest (as many as fit), a button to the console. */
export function adaptiveCard(m: ChatMessage): Record<string, unknown> {
  const body: object[] = [
    {
      type: 'Container',
      style: styleOf(m.color),
      bleed: true,
      items: [{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: m.title, weight: 'Bolder', size: 'Medium' }] }],
    },
  ];
  if (m.intro) body.push(runs(m.intro));
  // Facts as TextRuns, not a FactSet: Teams reads a fact's title and value as markdown, where an
  // application's or a job's name could make a link.
  body.push(...m.facts.map((f) => fact(f.label, f.value)));
  if (m.error) {
    body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `${m.error.label}: `, weight: 'Bolder' }, { type: 'TextRun', text: m.error.message, color: 'Attention' }] });
    if (m.error.step) body.push(fact(m.error.step.label, m.error.step.value));
  }
  if (m.log) {
    body.push({ type: 'TextBlock', text: m.log.label, weight: 'Bolder', wrap: true, spacing: 'Medium' });
    body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: m.log.text, fontType: 'Monospace', size: 'Small' }] });
  }
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    fallbackText: m.title,
    body,
    ...(m.link && { actions: [{ type: 'Action.OpenUrl', title: m.link.label, url: m.link.url }] }),
    // Teams-only: the card takes the conversation's whole width.
    msteams: { width: 'Full' },
  };
  const lines = (m.lines ?? []).map(lineItem);
  if (!lines.length) return card;
  // Each line adds its JSON and a comma; the "+n" line is kept room for whenever some are left out.
  const size = (item: object) => Buffer.byteLength(JSON.stringify(item)) + 1;
  let room = TEAMS_MESSAGE_BYTES - Buffer.byteLength(JSON.stringify(envelope(card)));
  if (lines.reduce((sum, line) => sum + size(line), 0) > room) room -= size(more(lines.length));
  let kept = 0;
  while (kept < lines.length && size(lines[kept]) <= room) room -= size(lines[kept++]);
  body.push(...lines.slice(0, kept));
  if (kept < lines.length) body.push(more(lines.length - kept));
  return card;
}

function lineItem(line: ChatLine): object {
  return {
    type: 'Container',
    separator: true,
    items: [
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: line.text, weight: 'Bolder', color: colorOf(line.color) }] },
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: line.error ? `${line.when} · ${line.error}` : line.when, isSubtle: true, size: 'Small' }] },
    ],
    ...(line.link && { selectAction: { type: 'Action.OpenUrl', url: line.link } }),
  };
}

/** The last line of a digest cut short: how many more (the button opens the application in the console). */
function more(count: number): object {
  return { type: 'Container', separator: true, items: [{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `+${count}`, isSubtle: true }] }] };
}

/** "Label: value", the label bold; neither read as markdown. */
function fact(label: string, value: string): object {
  return { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `${label}: `, weight: 'Bolder' }, { type: 'TextRun', text: value }] };
}

function runs(text: string): object {
  return { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text }] };
}

/** A container's style from the type's colour: failure, success, stop, anything else. */
function styleOf(color: string): string {
  return { '#cf222e': 'attention', '#1a7f37': 'good', '#9a6700': 'warning' }[color.toLowerCase()] ?? 'accent';
}

function colorOf(color: string): string {
  return { '#cf222e': 'Attention', '#1a7f37': 'Good', '#9a6700': 'Warning' }[color.toLowerCase()] ?? 'Default';
}
