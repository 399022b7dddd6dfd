import type { ChatMessage } from '../messages/chat-message';
import { teamsMessage } from './adaptive-card';

const EVIL = '[Reset your password](https://evil.example)';

/** A failure whose application, job and step came with markdown: Teams must show it as text, not as a link. */
const message: ChatMessage = {
  lang: 'en',
  title: `[Billing ${EVIL}] Analysis failed: Run analyzer`,
  heading: 'Analysis failed',
  color: '#cf222e',
  application: { id: 'billing', name: `Billing ${EVIL}` },
  facts: [
    { label: 'Application', value: `Billing ${EVIL}` },
    { label: 'Job', value: `**analysis** ${EVIL}` },
  ],
  error: { label: 'Error', message: `Out of memory ${EVIL}`, step: { label: 'Step', value: `Run ${EVIL}` } },
};

/** Every text of the card that Teams renders as markdown: TextBlock.text, Fact.title, Fact.value. */
function markdownTexts(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => markdownTexts(n, found));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'TextBlock' && typeof o.text === 'string') found.push(o.text);
    if (o.type === 'FactSet') for (const f of o.facts as Array<{ title: string; value: string }>) found.push(f.title, f.value);
    Object.values(o).forEach((v) => markdownTexts(v, found));
  }
  return found;
}

describe('Teams Adaptive Card', () => {
  it("puts the event's text only where Teams reads no markdown (TextRuns): a fact or a step cannot become a link", () => {
    const card = teamsMessage(message);
    const markdown = markdownTexts(card);
    expect(markdown.filter((text) => text.includes('](') || text.includes('**'))).toEqual([]);
    // Still shown, as text: each fact and the step.
    const json = JSON.stringify(card);
    for (const value of [`Billing ${EVIL}`, `**analysis** ${EVIL}`, `Run ${EVIL}`]) expect(json).toContain(JSON.stringify(value));
  });
});
