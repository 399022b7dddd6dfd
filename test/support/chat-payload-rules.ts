/**
 * What the chat services accept, checked as they document it (for the notification
 * targets' suites):
 *
 * - Microsoft Teams: a Workflows webhook takes `{ type: "message", attachments: [{
 *   contentType: "application/vnd.microsoft.card.adaptive", content: <card> }] }`; the
 *   card is read by Microsoft's own Adaptive Cards parser (the `adaptivecards` package,
 *   a development dependency: there is no maintained JSON schema package of the
 *   current card versions on npm, and the parser is what checks element types,
 *   property values and versions). It must parse without a warning, validate without
 *   one, and come back whole from `toJSON()` (a property the parser does not know is
 *   dropped there); `msteams` is Teams' own extension of the card (its width). The
 *   whole request is at most 28 KB (Teams' "message size limit"; larger posts fail with
 *   413 Request Entity Too Large).
 * - Slack: Block Kit's rules from Slack's reference (api.slack.com/reference/block-kit):
 *   at most 50 blocks; a header's plain_text at most 150 characters; a section's text
 *   at most 3,000, its fields at most 10 of 2,000; a context's elements at most 10; an
 *   actions block's elements at most 25, a button's text plain_text of at most 75 and
 *   its url at most 3,000; text objects plain_text or mrkdwn, `emoji` only on
 *   plain_text; the top-level `text` present (the notification's line). And what came
 *   with the event escaped: no `<` in mrkdwn but a link Herald made (`<https://…|…>`).
 */
const AC = require('adaptivecards/dist/adaptivecards.js');

/** Teams' message size limit (learn.microsoft.com: "Create Incoming Webhooks", and the Teams connector's known limits). */
export const TEAMS_MAX_BYTES = 28 * 1024;

export function adaptiveCardProblems(message: any): string[] {
  const problems: string[] = [];
  const bytes = Buffer.byteLength(JSON.stringify(message));
  if (bytes > TEAMS_MAX_BYTES) problems.push(`${bytes} bytes, more than Teams' ${TEAMS_MAX_BYTES}`);
  if (message?.type !== 'message') problems.push('the message is not of type "message"');
  const attachment = message?.attachments?.[0];
  if (message?.attachments?.length !== 1 || attachment.contentType !== 'application/vnd.microsoft.card.adaptive') problems.push('not one Adaptive Card attachment');
  const content = attachment?.content;
  if (!content) return [...problems, 'no card'];
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(content, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const event of card.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  const { msteams: _teams, ...rest } = content;
  const back = card.toJSON();
  if (JSON.stringify(sorted(back)) !== JSON.stringify(sorted(rest))) problems.push(`properties the parser does not know: ${JSON.stringify(diff(rest, back))}`);
  return problems;
}

function sorted(value: any): any {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])]));
  return value;
}

/** What `given` has that `back` lost, path by path. */
function diff(given: any, back: any, path = ''): string[] {
  if (given && typeof given === 'object') {
    return Object.keys(given).flatMap((k) => (back && k in back ? diff(given[k], back[k], `${path}/${k}`) : [`${path}/${k}`]));
  }
  return given === back ? [] : [`${path}: ${JSON.stringify(given)} became ${JSON.stringify(back)}`];
}

const TEXT_TYPES = ['plain_text', 'mrkdwn'];

export function blockKitProblems(payload: any): string[] {
  const problems: string[] = [];
  const text = (object: any, where: string, max: number, plainOnly = false) => {
    if (!object || !TEXT_TYPES.includes(object.type)) return problems.push(`${where}: not a text object`);
    if (plainOnly && object.type !== 'plain_text') problems.push(`${where}: must be plain_text`);
    if (typeof object.text !== 'string' || !object.text.length) problems.push(`${where}: empty text`);
    else if (object.text.length > max) problems.push(`${where}: ${object.text.length} characters, more than ${max}`);
    if ('emoji' in object && object.type !== 'plain_text') problems.push(`${where}: emoji on mrkdwn`);
    const extra = Object.keys(object).filter((k) => !['type', 'text', 'emoji', 'verbatim'].includes(k));
    if (extra.length) problems.push(`${where}: unknown ${extra.join(', ')}`);
    if (object.type === 'mrkdwn' && /<(?!https?:\/\/[^|>]+\|[^<>]*>)/.test(object.text)) problems.push(`${where}: unescaped < in mrkdwn`);
    return 0;
  };
  if (typeof payload?.text !== 'string' || !payload.text) problems.push('no top-level text');
  const blocks = payload?.blocks;
  if (!Array.isArray(blocks) || !blocks.length) return [...problems, 'no blocks'];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks, more than 50`);
  blocks.forEach((block: any, i: number) => {
    const where = `blocks[${i}] (${block.type})`;
    const allowed: Record<string, string[]> = { header: ['text'], section: ['text', 'fields', 'accessory'], context: ['elements'], actions: ['elements'], divider: [] };
    if (!(block.type in allowed)) return problems.push(`${where}: unknown block type`);
    const extra = Object.keys(block).filter((k) => !['type', 'block_id', ...allowed[block.type]].includes(k));
    if (extra.length) problems.push(`${where}: unknown ${extra.join(', ')}`);
    if (block.type === 'header') text(block.text, where, 150, true);
    if (block.type === 'section') {
      if (!block.text && !block.fields) problems.push(`${where}: neither text nor fields`);
      if (block.text) text(block.text, where, 3000);
      if (block.fields) {
        if (block.fields.length > 10) problems.push(`${where}: more than 10 fields`);
        block.fields.forEach((f: any, j: number) => text(f, `${where}.fields[${j}]`, 2000));
      }
    }
    if (block.type === 'context') {
      if (!block.elements?.length || block.elements.length > 10) problems.push(`${where}: 1 to 10 elements`);
      block.elements?.forEach((e: any, j: number) => text(e, `${where}.elements[${j}]`, 3000));
    }
    if (block.type === 'actions') {
      if (!block.elements?.length || block.elements.length > 25) problems.push(`${where}: 1 to 25 elements`);
      block.elements?.forEach((e: any, j: number) => {
        if (e.type !== 'button') return problems.push(`${where}.elements[${j}]: not a button`);
        text(e.text, `${where}.elements[${j}].text`, 75, true);
        if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000)) problems.push(`${where}.elements[${j}]: url`);
        if (e.action_id !== undefined && String(e.action_id).length > 255) problems.push(`${where}.elements[${j}]: action_id`);
        return 0;
      });
    }
    return 0;
  });
  return problems;
}
