import { simpleParser } from 'mailparser';
import { encodeAlternative, replacePlaceholder, withHeaders } from './mime-message';

describe('MIME encoding through nodemailer', () => {
  it("still finds nodemailer's private MimeNode where the gateway takes it from (nodemailer/lib/mime-node)", () => {
    // If this fails, nodemailer moved or changed MimeNode: see the note in mime-message.ts.
    const MimeNode = require('nodemailer/lib/mime-node');
    const prototype = (MimeNode.default ?? MimeNode).prototype;
    for (const method of ['setHeader', 'createChild', 'setContent', 'build', 'buildHeaders', 'getEnvelope']) {
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
