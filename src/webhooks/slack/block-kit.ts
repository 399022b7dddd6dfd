import type { ChatMessage } from '../messages/chat-message';
import type { WebhookFormat } from '../webhook-format';

/**
 * Slack: an incoming webhook takes `text` (the notification's line, and what shows
 * where blocks cannot) and Block Kit `blocks`, within Slack's limits: at most 50
 * blocks, a header's plain text 150 characters, a section's text 3,000, at most 10
 * fields of 2,000, a button's text 75 and its URL 3,000. Text that came with the
 * event is escaped (&, <, >) wherever Slack reads mrkdwn — the blocks and the
 * top-level `text` — so that it cannot mention @channel or make a link.
 */
export const SLACK_FORMAT: WebhookFormat = {
  channel: 'slack',
  // Slack allows about one message a second per incoming webhook.
  intervalMs: 1000,
  write: ({ message }) => ({ body: JSON.stringify(slackMessage(message)), headers: {} }),
};

const MAX_BLOCKS = 50;
/** Lines of a digest shown: the others are counted in a last line (the blocks around them take the rest). */
const MAX_LINES = 40;

export function slackMessage(m: ChatMessage): { text: string; blocks: object[] } {
  const blocks: object[] = [{ type: 'header', text: { type: 'plain_text', text: clip(m.title, 150), emoji: false } }];
  if (m.intro) blocks.push(section(escape(m.intro)));
  if (m.facts.length) blocks.push({ type: 'section', fields: m.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${escape(f.label)}*\n${escape(f.value)}`, 2000) })) });
  if (m.error) blocks.push(section(`*${escape(m.error.label)}*${m.error.step ? ` (${escape(m.error.step.label)}: ${escape(m.error.step.value)})` : ''}\n${escape(m.error.message)}`));
  if (m.log) blocks.push(section(`*${escape(m.log.label)}*\n\`\`\`${escape(m.log.text).replace(/```/g, '`\u200b``')}\`\`\``, true));
  const lines = m.lines ?? [];
  for (const line of lines.slice(0, MAX_LINES)) {
    const text = line.link ? `<${line.link}|${escape(line.text)}>` : escape(line.text);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`${text} · ${escape(line.when)}${line.error ? `\n${escape(line.error)}` : ''}`, 3000) }] });
  }
  if (lines.length > MAX_LINES) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `+${lines.length - MAX_LINES}` }] });
  if (m.link) blocks.push({ type: 'actions', elements: [{ type: 'button', action_id: 'open', text: { type: 'plain_text', text: clip(m.link.label, 75), emoji: false }, url: m.link.url.slice(0, 3000) }] });
  // The top-level text is mrkdwn too (the notification's line, and what shows where blocks cannot): escaped as the blocks are.
  return { text: escape(m.title), blocks: blocks.slice(0, MAX_BLOCKS) };
}

function section(text: string, code = false): object {
  // A code block cut short keeps its closing fence.
  const fitted = text.length <= 3000 ? text : code ? `${text.slice(0, 2993)}…\`\`\`` : clip(text, 3000);
  return { type: 'section', text: { type: 'mrkdwn', text: fitted } };
}

/** Slack's escaping of mrkdwn: the three characters that make links and mentions. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
