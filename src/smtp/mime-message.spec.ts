import { simpleParser } from 'mailparser';
import MimeNode from 'nodemailer/lib/mime-node';
import { type EncodedBody, encodeAlternative, type MailHeader, replacePlaceholder, throughMimeNode, withHeaders } from './mime-message';

/** The Date header's time, as the caller's Clock gives it. */
const AT = Date.UTC(2026, 10, 24, 9, 30, 15, 250);

describe('MIME encoding through nodemailer', () => {
  it("still finds nodemailer's private MimeNode where the gateway takes it from (nodemailer/lib/mime-node)", () => {
    // If this fails, nodemailer moved or changed MimeNode: see the note in mime-message.ts.
    const MimeNode = require('nodemailer/lib/mime-node');
    const prototype = (MimeNode.default ?? MimeNode).prototype;
    const internals = ['_normalizeHeaderKey', '_parseAddresses', '_convertAddresses'];
    for (const method of ['setHeader', 'createChild', 'setContent', 'build', 'buildHeaders', 'getEnvelope', 'encodeHeaderValue', ...internals]) {
      expect(typeof prototype[method]).toBe('function');
    }
    expect(new (MimeNode.default ?? MimeNode)().date).toBeInstanceOf(Date); // the root's time for its Date header
  });

  it('encodes the body once and puts each recipient’s headers over it', async () => {
    const body = encodeAlternative('0123456789abcdef', 'Plain — text', '<p>HTML</p>');
    const message = withHeaders(body, '0123456789abcdef', [
      { key: 'From', value: 'Herald <herald@example.com>' },
      { key: 'To', value: { name: 'Zoë Ó', address: 'zoe@example.com' } },
      { key: 'Subject', value: 'Grüße' },
      { key: 'Message-ID', value: '<m1@example.com>' },
    ], AT);
    expect(message.envelope).toEqual({ from: 'herald@example.com', to: ['zoe@example.com'] });
    const parsed = await simpleParser(message.raw);
    expect(parsed.to).toMatchObject({ value: [{ name: 'Zoë Ó', address: 'zoe@example.com' }] });
    expect(parsed.subject).toBe('Grüße');
    expect(parsed.messageId).toBe('<m1@example.com>');
    expect(parsed.text).toBe('Plain — text');
    expect(parsed.html).toBe('<p>HTML</p>');
    expect(parsed.date).toEqual(new Date(Date.UTC(2026, 10, 24, 9, 30, 15))); // the time given, not the wall clock's
  });

  it('writes, without a MimeNode per message, the header block and envelope a MimeNode writes, message after message', async () => {
    const body = encodeAlternative('0123456789abcdef', 'text', '<p>html</p>');
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
      // A conversation's headers (src/email/mail-thread.ts): three references fold; a topic with accents.
      [
        ...shared('Grüße'),
        { key: 'To', value: 'a@example.com' },
        { key: 'Message-ID', value: '<herald.5@example.com>' },
        { key: 'In-Reply-To', value: '<herald.thread.264eaa22966d2d10b7116ec828819b70@example.com>' },
        { key: 'References', value: '<herald.thread.b0884d008ef0f982d2272a0a39f068eb@example.com> <herald.thread.e65acd00b1f6829cf3f18594fc6f2942@example.com> <herald.thread.264eaa22966d2d10b7116ec828819b70@example.com>' },
        { key: 'Thread-Topic', value: 'Paie é: analyse' },
        { key: 'Thread-Index', value: 'AQHVwDZpylFRrVZhSzdW5EH08dfYxo+KslYw' },
      ],
      // Left to a MimeNode: no Message-ID (it makes one up), a Date of its own, Bcc.
      [...shared('x'), { key: 'To', value: 'a@example.com' }],
      [...shared('x'), { key: 'To', value: 'a@example.com' }, { key: 'Message-ID', value: '<m@x>' }, { key: 'Date', value: 'Tue, 24 Nov 2026 10:00:00 +0000' }],
      [...shared('x'), { key: 'To', value: 'a@example.com' }, { key: 'Bcc', value: 'hidden@example.com' }, { key: 'Message-ID', value: '<m@x>' }],
    ];
    const madeUp = (raw: Buffer) => raw.toString().replace(/^Message-ID: <[0-9a-f-]+@[^>]+>$/m, 'Message-ID: (made up)');
    for (const headers of messages) {
      const fast = withHeaders(body, '0123456789abcdef', headers, AT);
      const reference = throughMimeNode(body, '0123456789abcdef', headers, AT);
      expect(madeUp(fast.raw)).toBe(madeUp(reference.raw));
      expect(fast.envelope).toEqual(reference.envelope);
      // The time given, whichever way the header block was written (unless the headers give their own Date).
      const date = headers.some((h) => h.key === 'Date') ? 'Tue, 24 Nov 2026 10:00:00 +0000' : 'Tue, 24 Nov 2026 09:30:15 +0000';
      expect(/^Date: (.*)$/m.exec(fast.raw.toString())?.[1].trim()).toBe(date);
    }
    expect(withHeaders(body, '0123456789abcdef', messages[3], AT).envelope).toEqual({ from: 'herald@xn--bcher-kva.example', to: ['a@example.com', 'b@example.com', 'c@example.com'] });
  });

  it('normalises each header key once, not once per message (MimeNode runs its regular expressions per value encoded)', () => {
    const body = encodeAlternative('0123456789abcdef', 'text', '<p>html</p>');
    const headers = (n: number): MailHeader[] => [
      { key: 'From', value: 'herald@example.com' },
      { key: 'To', value: `r${n}@example.com` },
      { key: 'Message-ID', value: `<herald.${n}@example.com>` },
      { key: 'X-Normalised-Once', value: String(n) },
    ];
    withHeaders(body, '0123456789abcdef', headers(1), AT);
    const normalize = jest.spyOn(MimeNode.prototype as unknown as { _normalizeHeaderKey(key: string): string }, '_normalizeHeaderKey');
    try {
      const later = [2, 3, 4].map((n) => withHeaders(body, '0123456789abcdef', headers(n), AT));
      expect(normalize).not.toHaveBeenCalled();
      expect(later[2].raw.toString()).toMatch(/^Message-ID: <herald\.4@example\.com>\r\nX-Normalised-Once: 4\r$/m);
    } finally {
      normalize.mockRestore();
    }
  });

  it("encodes a person's To line once for every mail to them, and tells people apart", () => {
    const body = encodeAlternative('0123456789abcdef', 'text', '<p>html</p>');
    const to: MailHeader['value'][] = [
      { name: 'Zoë Ó', address: 'zoe@bücher.example' },
      'zoe@bücher.example',
      { name: '', address: 'zoe@bücher.example' },
      { name: 'Zoë', address: ' Ózoe@bücher.example' },
      { name: 'Zoë Ó', address: 'other@example.com' },
      'Zoë Ó <zoe@bücher.example>',
    ];
    const headers = (value: MailHeader['value'], n: number): MailHeader[] => [
      { key: 'From', value: 'herald@example.com' },
      { key: 'To', value },
      { key: 'Message-ID', value: `<herald.${n}@example.com>` },
    ];
    const first = to.map((value, n) => withHeaders(body, '0123456789abcdef', headers(value, n), AT));
    const parse = jest.spyOn(MimeNode.prototype as unknown as { _parseAddresses(value: unknown): unknown[] }, '_parseAddresses');
    let again;
    try {
      again = to.map((value, n) => withHeaders(body, '0123456789abcdef', headers(value, n), AT));
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    to.forEach((value, n) => {
      const reference = throughMimeNode(body, '0123456789abcdef', headers(value, n), AT);
      expect(again[n].raw.toString()).toBe(reference.raw.toString());
      expect(again[n].envelope).toEqual(reference.envelope);
      expect(again[n].raw.equals(first[n].raw)).toBe(true);
    });
  });

  it('writes the Content-Type line of each tag as a MimeNode does, a tag per event', () => {
    const headers: MailHeader[] = [
      { key: 'From', value: 'herald@example.com' },
      { key: 'To', value: 'a@example.com' },
      { key: 'Message-ID', value: '<m@example.com>' },
    ];
    const tags = ['0123456789abcdef', 'fedcba9876543210', '00000000000000000', 'a', 'Z9', 'with-dash_and.dot', 'x'.repeat(90), '0'.repeat(70) + 'ab'];
    for (const tag of [...tags, ...tags]) {
      const body = encodeAlternative(tag, 'text', '<p>html</p>');
      const contentType = (raw: Buffer) => /^Content-Type: [\s\S]*?(?=\r\n\r\n)/m.exec(raw.toString())?.[0];
      expect(contentType(withHeaders(body, tag, headers, AT).raw)).toBe(contentType(throughMimeNode(body, tag, headers, AT).raw));
      if (tag.length < 40) expect(contentType(withHeaders(body, tag, headers, AT).raw)).toContain(tag); // longer: split in RFC 2231 sections
    }
  });

  it('writes, synchronously, the very bytes MimeNode.build() wrote for the body, whatever the text', async () => {
    const random = seeded(20261124);
    const pieces = ['a', 'Zoë', 'é', '日本語', '😀', '=', '==3D', ' ', '\t', '  \r\n', ' \n', '\r\n', '\n', '\r', '.', '\r\n.', '\nFrom ', 'From ', 'word ', '<a href="https://h.example/p?a=1&b=2">', '-_', '\u007f', '\u0001'];
    const randomText = (length: number) => Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const texts = [
      'Hello',
      'x',
      '',
      ' ',
      'Line one\nline two\n',
      'Line one\r\nline two\r\n',
      `A line over 76 characters, which quoted-printable has to break with a soft line break somewhere ${'y'.repeat(40)}`,
      `${'word '.repeat(40)}\n${'word '.repeat(40)}`,
      'Café crème, à la française — déjà vu, ça va ? Œuvre, naïve, Noël.',
      '日本語のテキスト、中文文本，한국어 텍스트 '.repeat(8),
      'Emoji 😀🎉👩‍👩‍👧 and more 🚀'.repeat(6),
      'a=b, c==d, =3D is not an escape, 100% = done =\n=',
      'trailing space \ntrailing tab\t\ntrailing both \t \r\nend with space ',
      `${'z'.repeat(74)} \n${'z'.repeat(75)}\t\r\n${'z'.repeat(73)}  `,
      '.\n.leading dot\r\n..two\nFrom the start\r\nFrom here\n>From',
      'mixed\nline\r\nends\rhere\n\r',
      'q'.repeat(5000),
      `${'é'.repeat(3000)} ${'日'.repeat(2000)}`,
      `text ending in blanks ${'x'.repeat(70)}\n   \t  `,
      `<html><body><p style="font-family: Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.5; color: #333333;" class="lead">Hi</p><a href="https://herald.example.com/notifications/preferences?token=${'t'.repeat(90)}&amp;lang=fr">Préférences</a></body></html>`,
      // past the qp Encoder's 64 KiB slices: a blank ends the first slice, and trailing blanks
      `${'a'.repeat(65535)} b${'c'.repeat(70000)}`,
      `${'é'.repeat(40000)}\n${' '.repeat(100)}`,
      `${'w'.repeat(10)}${' '.repeat(70000)}`,
      ...Array.from({ length: 40 }, (_, i) => randomText(1 + Math.floor(random() * (i < 30 ? 60 : 600)))),
    ];
    const pairs = texts.map((text, i) => [text, texts[(i * 7 + 3) % texts.length]] as const);
    for (const [i, [text, html]] of pairs.entries()) {
      const tag = `0123456789abcdef${i}`;
      const fast = encodeAlternative(tag, text, html);
      const reference = await throughBuild(tag, text, html);
      expect(fast.contentType).toBe(reference.contentType);
      if (!fast.body.equals(reference.body)) expect({ i, body: fast.body.toString('latin1') }).toEqual({ i, body: reference.body.toString('latin1') });
    }
    // The cases reach what they are here for: both encodings, soft line breaks, more than one slice.
    const all = pairs.map(([text, html], i) => encodeAlternative(`t${i}`, text, html).body.toString('latin1')).join('');
    for (const seen of ['Content-Transfer-Encoding: 7bit', 'Content-Transfer-Encoding: quoted-printable', '=\r\n', '=20\r\n', '=09\r\n', '=3D']) expect(all).toContain(seen);
  });

  it('replaces a placeholder in the encoded body, also where quoted-printable broke it across lines, and stays valid', async () => {
    const placeholder = 'PLACEHOLDERabcdefghijklmnopqrstuvwxyz0';
    const value = 'Token_-0123456789ABCDEFGHIJKLMNOPQRSTU';
    // Mostly not Latin: still quoted-printable, never base64 (which would hide the placeholder).
    const html = `<p>${'日本語'.repeat(40)}</p><a href="https://h.example/p?t=${placeholder}">x</a> ${'é'.repeat(17)}https://h.example/p?t=${placeholder}`;
    const body = encodeAlternative('0123456789abcdef', `see https://h.example/p?t=${placeholder}`, html);
    expect(body.body.toString()).not.toMatch(/base64/i);
    const replaced = replacePlaceholder(body.body, placeholder, value);
    expect(replaced.length).toBe(body.body.length);
    const parsed = await simpleParser(withHeaders({ ...body, body: replaced }, '0123456789abcdef', [{ key: 'From', value: 'h@example.com' }], AT).raw);
    expect(parsed.text).toBe(`see https://h.example/p?t=${value}`);
    expect(parsed.html).toBe(html.replaceAll(placeholder, value));
    expect(() => replacePlaceholder(body.body, placeholder, 'short')).toThrow();
  });
});

/** What encodeAlternative did before it wrote the bytes itself: MimeNode.build(), async, through stream pipelines. */
async function throughBuild(tag: string, text: string, html: string): Promise<EncodedBody> {
  const contentType = `multipart/alternative; boundary="--_Herald-${tag}"`;
  const message = new MimeNode(contentType, { baseBoundary: tag });
  message.setHeader('Message-ID', `<${tag}@herald.invalid>`);
  message.createChild('text/plain; charset=utf-8', { baseBoundary: tag, textEncoding: 'Q' } as never).setContent(text);
  message.createChild('text/html; charset=utf-8', { baseBoundary: tag, textEncoding: 'Q' } as never).setContent(html);
  const built = await message.build();
  return { contentType, body: built.subarray(built.indexOf('\r\n\r\n') + 4) };
}

/** A small seeded generator (mulberry32), so the random texts are the same at every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
