import { simpleParser } from 'mailparser';
import { encodeAlternative, type MailHeader, replacePlaceholder, throughMimeNode, withHeaders } from './mime-message';

describe('MIME encoding through nodemailer', () => {
  it("still finds nodemailer's private MimeNode where the gateway takes it from (nodemailer/lib/mime-node)", () => {
    // If this fails, nodemailer moved or changed MimeNode: see the note in mime-message.ts.
    const MimeNode = require('nodemailer/lib/mime-node');
    const prototype = (MimeNode.default ?? MimeNode).prototype;
    const internals = ['_normalizeHeaderKey', '_parseAddresses', '_convertAddresses'];
    for (const method of ['setHeader', 'createChild', 'setContent', 'build', 'buildHeaders', 'getEnvelope', 'encodeHeaderValue', ...internals]) {
      expect(typeof prototype[method]).toBe('function');
    }
  });

  it('encodes the body once and puts each recipient’s headers over it', async () => {
    const body = await encodeAlternative('0123456789abcdef', 'Plain — text', '<p>HTML</p>');
    const message = withHeaders(body, '0123456789abcdef', [
      { key: 'From', value: 'Herald <herald@example.com>' },
      { key: 'To', value: { name: 'Zoë Ó', address: 'zoe@example.com' } },
      { key: 'Subject', value: 'Grüße' },
      { key: 'Message-ID', value: '<m1@example.com>' },
    ]);
    expect(message.envelope).toEqual({ from: 'herald@example.com', to: ['zoe@example.com'] });
    const parsed = await simpleParser(message.raw);
    expect(parsed.to).toMatchObject({ value: [{ name: 'Zoë Ó', address: 'zoe@example.com' }] });
    expect(parsed.subject).toBe('Grüße');
    expect(parsed.messageId).toBe('<m1@example.com>');
    expect(parsed.text).toBe('Plain — text');
    expect(parsed.html).toBe('<p>HTML</p>');
  });

  it('writes, without a MimeNode per message, the header block and envelope a MimeNode writes, message after message', async () => {
    const body = await encodeAlternative('0123456789abcdef', 'text', '<p>html</p>');
    const shared = (subject: string): MailHeader[] => [
      { key: 'From', value: '"Herald, the notifier" <herald@bücher.example>' },
      { key: 'Subject', value: subject },
      { key: 'Auto-Submitted', value: 'auto-generated' },
      { key: 'List-Id', value: 'Herald job notifications <notifications.example.com>' },
    ];
    const longSubject = 'Analyse « Zoë’s application » terminée avec des avertissements — une ligne assez longue pour être pliée';
    const messages: MailHeader[][] = [
      [...shared('Grüße'), { key: 'To', value: { name: 'Zoë Ó', address: 'zoe@example.com' } }, { key: 'Message-ID', value: '<herald.1@example.com>' }],
      [...shared('Grüße'), { key: 'To', value: 'plain@bücher.example' }, { key: 'Message-ID', value: 'herald.2@example.com' }],
      [...shared(longSubject), { key: 'to', value: { name: 'Smith, John (Ops)', address: 'john@example.com' } }, { key: 'message-id', value: '<herald.3@example.com>' }],
      [
        ...shared(longSubject),
        { key: 'To', value: 'a@example.com, B <b@example.com>' },
        { key: 'Cc', value: 'b@example.com, c@example.com' },
        { key: 'Reply-To', value: 'ops@example.com' },
        { key: 'Message-ID', value: '<herald.4@example.com>' },
        { key: 'List-Unsubscribe', value: `<https://herald.example.com/unsubscribe?t=${'x'.repeat(120)}>` },
        { key: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
        { key: 'x-herald-event-id', value: 'evt-1' },
        { key: 'X-Empty', value: '  ' },
        { key: 'Subject', value: 'replaced, in the first Subject’s place' },
      ],
      // Left to a MimeNode: no Message-ID (it makes one up), a Date of its own, Bcc.
      [...shared('x'), { key: 'To', value: 'a@example.com' }],
      [...shared('x'), { key: 'To', value: 'a@example.com' }, { key: 'Message-ID', value: '<m@x>' }, { key: 'Date', value: 'Tue, 24 Nov 2026 10:00:00 +0000' }],
      [...shared('x'), { key: 'To', value: 'a@example.com' }, { key: 'Bcc', value: 'hidden@example.com' }, { key: 'Message-ID', value: '<m@x>' }],
    ];
    const sameDate = (raw: Buffer) => raw.toString().replace(/^Date: .*$/m, 'Date: (now)').replace(/^Message-ID: <[0-9a-f-]+@[^>]+>$/m, 'Message-ID: (made up)');
    for (const headers of messages) {
      const fast = withHeaders(body, '0123456789abcdef', headers);
      const reference = throughMimeNode(body, '0123456789abcdef', headers);
      expect(sameDate(fast.raw)).toBe(sameDate(reference.raw));
      expect(fast.envelope).toEqual(reference.envelope);
    }
    expect(withHeaders(body, '0123456789abcdef', messages[3]).envelope).toEqual({ from: 'herald@xn--bcher-kva.example', to: ['a@example.com', 'b@example.com', 'c@example.com'] });
  });

  it('replaces a placeholder in the encoded body, also where quoted-printable broke it across lines, and stays valid', async () => {
    const placeholder = 'PLACEHOLDERabcdefghijklmnopqrstuvwxyz0';
    const value = 'Token_-0123456789ABCDEFGHIJKLMNOPQRSTU';
    // Mostly not Latin: still quoted-printable, never base64 (which would hide the placeholder).
    const html = `<p>${'日本語'.repeat(40)}</p><a href="https://h.example/p?t=${placeholder}">x</a> ${'é'.repeat(17)}https://h.example/p?t=${placeholder}`;
    const body = await encodeAlternative('0123456789abcdef', `see https://h.example/p?t=${placeholder}`, html);
    expect(body.body.toString()).not.toMatch(/base64/i);
    const replaced = replacePlaceholder(body.body, placeholder, value);
    expect(replaced.length).toBe(body.body.length);
    const parsed = await simpleParser(withHeaders({ ...body, body: replaced }, '0123456789abcdef', [{ key: 'From', value: 'h@example.com' }]).raw);
    expect(parsed.text).toBe(`see https://h.example/p?t=${value}`);
    expect(parsed.html).toBe(html.replaceAll(placeholder, value));
    expect(() => replacePlaceholder(body.body, placeholder, 'short')).toThrow();
  });
});
