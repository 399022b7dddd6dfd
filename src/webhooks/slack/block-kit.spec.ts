import type { ChatMessage } from '../messages/chat-message';
import { slackMessage } from './block-kit';

/** A failure whose application and job came with text that Slack would read as mentions and links. */
const message: ChatMessage = {
  lang: 'en',
  title: '[R&D <!channel>] Analysis failed: <https://evil.example|Run analyzer>',
  heading: 'Analysis failed: R&D <!channel>',
  color: '#cf222e',
  application: { id: 'rd', name: 'R&D <!channel>' },
  facts: [{ label: 'Application', value: 'R&D <!channel>' }],
};

describe('Slack Block Kit message', () => {
  it("escapes the top-level text (the notification's line, mrkdwn) as the blocks are: no mention, no link from the event's text", () => {
    const payload = slackMessage(message);
    expect(payload.text).toBe('[R&amp;D &lt;!channel&gt;] Analysis failed: &lt;https://evil.example|Run analyzer&gt;');
    // The header is plain_text: Slack shows it as it is (no mention, no link).
    expect(payload.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: message.title, emoji: false } });
  });
});
