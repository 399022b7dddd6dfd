import { NotificationType, type NotifiedEvent } from '../src/event-types/notification-type';
import { exampleEventsOf } from '../src/notifications/rendering/template-variables';
import { ChatMessageWriter } from '../src/webhooks/messages/chat-message';
import { slackMessage } from '../src/webhooks/slack/block-kit';
import { teamsMessage } from '../src/webhooks/teams/adaptive-card';
import { adaptiveCardProblems, blockKitProblems } from './support/chat-payload-rules';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

/**
 * What a team reads: each type's message written by the app (the words of its
 * mail, in the target's language and time zone, "still failing" and "fixed", the
 * error and the end of the log, the link to the job), posted as an Adaptive Card
 * that Microsoft's parser takes without a warning and as Block Kit within Slack's rules.
 */
describe(`notification targets' messages (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let writer: ChatMessageWriter;
  const failed = (extra: Partial<NotifiedEvent> = {}) =>
    ({
      ...exampleEventsOf(NotificationType.JOB_FAILED)[0],
      application: { id: 'billing', name: 'Billing <@channel> [x](https://evil.example)' },
      error: { message: 'Out of memory <!channel> & more', step: 'Run analyzer', logExcerpt: Array.from({ length: 40 }, (_, i) => `line ${i + 1} *bold* \`tick\` <b>`).join('\n') },
      ...extra,
    }) as NotifiedEvent;

  beforeAll(async () => {
    app = await HeraldTestApp.start({ GATEWAY_URI: 'https://console.example.com/' });
    writer = app.app.get(ChatMessageWriter);
  });
  afterAll(async () => app?.close());

  it('writes a failure with its facts in the target zone and language, the error, the end of the log and the link to the job', async () => {
    const en = await writer.event(failed(), { locale: 'en', timeZone: 'Europe/Paris' });
    expect(en.title).toBe('[Billing <@channel> [x](https://evil.example)] Analysis failed: Run analyzer');
    expect(en.facts).toEqual([
      { label: 'Application', value: 'Billing <@channel> [x](https://evil.example)' },
      { label: 'Job', value: 'analysis job-42' },
      { label: 'Started', value: expect.stringMatching(/^Nov 24, 2026, 10:00\sAM CET$/) },
      { label: 'Ended', value: expect.stringMatching(/^Nov 24, 2026, 10:42\sAM CET$/) },
      { label: 'Took', value: '42 min, 30 sec' },
    ]);
    expect(en.error).toEqual({ label: 'Error', message: 'Out of memory <!channel> & more', step: { label: 'Step', value: 'Run analyzer' } });
    expect(en.log!.text.split('\n')).toHaveLength(15);
    expect(en.log!.text.split('\n').at(-1)).toBe('line 40 *bold* `tick` <b>');
    expect(en.link).toEqual({ url: 'https://console.example.com/applications/billing/jobs/job-42', label: 'Open the analysis in the console' });
    const fr = await writer.event(failed({ history: { failuresInRow: 3, firstFailureAt: '2026-11-24T06:00:00Z' } }), { locale: 'fr', timeZone: 'America/New_York' });
    expect(fr.title).toMatch(/^\[Billing .*\] L’analyse échoue encore \(3e échec d’affilée\)\s:\sRun analyzer$/);
    expect(fr.facts[2]).toEqual({ label: 'Début', value: expect.stringMatching(/^24 nov\. 2026,?\s04:00\sEST$/) });
    expect(fr.error!.label).toBe('Erreur');
  });

  it('says "fixed" for a recovery, as the mail does', async () => {
    const fixed = await writer.event(exampleEventsOf(NotificationType.JOB_RECOVERED)[0], { locale: 'en', timeZone: null });
    expect(fixed.title).toMatch(/fixed/i);
    expect(fixed.color).toBe('#1a7f37');
  });

  it('posts every type, a digest and a summary as a valid Adaptive Card and as Block Kit within its rules, the event\'s text escaped', async () => {
    const messages = [];
    for (const type of Object.values(NotificationType)) for (const event of exampleEventsOf(type)) for (const locale of ['en', 'fr']) messages.push(await writer.event(event, { locale, timeZone: 'Asia/Tokyo' }));
    messages.push(await writer.event(failed(), { locale: 'en', timeZone: null }));
    const many = Array.from({ length: 300 }, (_, i) => failed({ id: `e${i}`, occurredAt: `2026-11-24T${String(i % 24).padStart(2, '0')}:00:00Z` }));
    messages.push(await writer.digest(many, { locale: 'en', timeZone: null }));
    messages.push(await writer.summary(many.slice(0, 5), { start: new Date('2026-11-24T09:00:00Z'), end: new Date('2026-11-24T09:10:00Z') }, { locale: 'fr', timeZone: null }));
    for (const message of messages) {
      expect({ title: message.title, problems: adaptiveCardProblems(teamsMessage(message)) }).toEqual({ title: message.title, problems: [] });
      expect({ title: message.title, problems: blockKitProblems(slackMessage(message)) }).toEqual({ title: message.title, problems: [] });
    }
    // A busy window: Teams gets the newest lines that fit under its 28 KB, the rest counted; Slack its 40.
    const card = (teamsMessage(messages.at(-2)!) as { attachments: Array<{ content: { body: any[] } }> }).attachments[0].content;
    const lines = card.body.filter((item) => item.separator);
    const shown = lines.slice(0, -1).map((item) => item.items[1].inlines[0].text as string);
    expect(shown.length).toBeGreaterThan(40);
    expect(lines.at(-1).items[0].inlines[0].text).toBe(`+${300 - shown.length}`);
    expect(shown[0]).toMatch(/^Nov 24, 2026, 11:00\sPM/); // the newest first
    const slackBlocks = slackMessage(messages.at(-2)!).blocks as Array<{ elements?: Array<{ text: string }> }>;
    expect(slackBlocks.at(-2)!.elements![0].text).toBe('+260'); // then the button to the application
    const slack = JSON.stringify(slackMessage(messages.at(-3)!));
    expect(slack).toContain('Out of memory &lt;!channel&gt; &amp; more');
    expect(slack).not.toContain('<!channel>');
    // The checkers can fail: a card with an unknown element and a header too long.
    expect(adaptiveCardProblems({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'Bogus' }, { type: 'TextBlock', text: 'x', weight: 'Heavy' }] } }] })).toHaveLength(3);
    expect(blockKitProblems({ text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'y'.repeat(151) } }, { type: 'section', text: { type: 'mrkdwn', text: '<!channel>' } }] })).toEqual([
      'blocks[0] (header): must be plain_text',
      'blocks[0] (header): 151 characters, more than 150',
      'blocks[1] (section): unescaped < in mrkdwn',
    ]);
  });
});
