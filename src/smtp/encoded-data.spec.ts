import { PassThrough } from 'node:stream';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { asSmtpData, EncodedData } from './encoded-data';

/** What nodemailer's DataStream writes for these bytes, with its counts. */
function throughDataStream(raw: Buffer, feed: (stream: DataStream) => void = (stream) => stream.end(raw)) {
  return new Promise<{ out: Buffer; pushes: number; inByteCount: number; outByteCount: number }>((resolve, reject) => {
    const stream = new DataStream();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve({ out: Buffer.concat(chunks), pushes: chunks.length, inByteCount: stream.inByteCount, outByteCount: stream.outByteCount }));
    feed(stream);
  });
}

/** Every string of these characters up to this length. */
function* strings(alphabet: string[], length: number): Generator<string> {
  yield '';
  let level = [''];
  for (let n = 1; n <= length; n++) {
    level = level.flatMap((s) => alphabet.map((c) => s + c));
    yield* level;
  }
}

describe('asSmtpData: what DataStream writes for a message, final dot included', () => {
  it('is what DataStream writes, for every string of CR, LF, dot and a letter up to 6 characters', async () => {
    let checked = 0;
    for (const text of strings(['\r', '\n', '.', 'a'], 6)) {
      const expected = (await throughDataStream(Buffer.from(text, 'latin1'))).out;
      expect({ text, out: asSmtpData(Buffer.from(text, 'latin1')).toString('latin1') }).toEqual({ text, out: expected.toString('latin1') });
      checked++;
    }
    expect(checked).toBe(5461);
  });

  it('is what DataStream writes for a mail with bare line breaks in its text part and bytes of every value', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const raw = Buffer.concat([Buffer.from('Subject: x\r\n\r\nline\nline\n.dot\r\n'), bytes, Buffer.from('\r\n.\r\nend\n')]);
    expect(asSmtpData(raw)).toEqual((await throughDataStream(raw)).out);
  });
});

describe('asSmtpData with a shared body: the body made ready once for every message that ends with it', () => {
  it('is what DataStream writes for the whole message, for every header block (up to 3 characters) and body (up to 4) of CR, LF, dot and a letter', async () => {
    const heads = [...strings(['\r', '\n', '.', 'a'], 3)];
    const bodies = [...strings(['\r', '\n', '.', 'a'], 4)];
    let checked = 0;
    for (const head of heads) {
      for (const text of bodies) {
        const body = Buffer.from(text, 'latin1');
        const raw = Buffer.from(head + text, 'latin1');
        const expected = (await throughDataStream(raw)).out.toString('latin1');
        // Twice: the second message takes the body's form as the first made it.
        for (let n = 0; n < 2; n++) expect({ head, text, n, out: asSmtpData(raw, body).toString('latin1') }).toEqual({ head, text, n, out: expected });
        checked++;
      }
    }
    expect(checked).toBe(85 * 341);
  });

  it('is what DataStream writes for every header block up to 6 characters of CR, LF, dot and a letter (read byte by byte)', async () => {
    const body = Buffer.from('a.\r\n', 'latin1');
    let checked = 0;
    for (const head of strings(['\r', '\n', '.', 'a'], 6)) {
      if (!head.endsWith('\n')) continue; // a block the body follows after a line break (else raw is read whole)
      const raw = Buffer.from(`${head}a.\r\n`, 'latin1');
      const expected = (await throughDataStream(raw)).out.toString('latin1');
      expect({ head, out: asSmtpData(raw, body).toString('latin1') }).toEqual({ head, out: expected });
      checked++;
    }
    expect(checked).toBe(1365);
  });

  it('reads the body as raw has it: a body that raw does not end with is not used', async () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbare LF\n.dot\n');
    for (const body of [Buffer.from('bare LF\n.other\n'), Buffer.from('x'.repeat(raw.length + 1))]) {
      expect(asSmtpData(raw, body)).toEqual((await throughDataStream(raw)).out);
    }
  });

  it('reads the shared body once, however many messages end with it', () => {
    const body = Buffer.from(`line\n.dot\n${'text '.repeat(200)}\n`);
    const latin1 = jest.spyOn(Buffer.prototype, 'toString');
    try {
      for (const to of ['a', 'b', 'c']) asSmtpData(Buffer.concat([Buffer.from(`To: ${to}@example.com\r\n\r\n`), body]), body);
      const whole = latin1.mock.contexts.filter((buffer) => (buffer as Buffer).length >= body.length);
      expect(whole).toHaveLength(1);
    } finally {
      latin1.mockRestore();
    }
  });
});

describe('EncodedData: an encoded message as the SMTP connection pipes it into its DataStream', () => {
  const cases = {
    'a message with CRLF line breaks': 'Subject: x\r\n\r\nline one\r\nline two\r\n',
    'one without a line break at the end': 'Subject: x\r\n\r\nno line break at the end',
    'one with dots to stuff': '.starts with a dot\r\n\r\n..two\r\n.\r\n',
    'one with bare line breaks': 'Subject: x\n\nbare LF\rbare CR\r\n',
    'one ending in a bare CR': 'Subject: x\r\n\r\nthe end\r',
  };

  it.each(Object.entries(cases))('gives the DataStream the same bytes and counts as writing the bytes into it: %s', async (_name, text) => {
    const raw = Buffer.from(text);
    const written = await throughDataStream(raw);
    const source = new EncodedData(raw);
    expect(source.readableDidRead).toBe(false);
    const piped = await throughDataStream(raw, (stream) => source.pipe(stream));
    expect(source.readableDidRead).toBe(true);
    expect(piped).toMatchObject({ out: written.out, inByteCount: written.inByteCount, outByteCount: written.outByteCount });
    // The bytes leave the DataStream in one piece, the final dot with them.
    expect(piped.pushes).toBe(1);
    expect(written.pushes).toBe(2);
  });

  it('gives the DataStream the same bytes and counts with a shared body', async () => {
    const body = Buffer.from('.dot\nbare LF\rbare CR\r\n');
    const raw = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), body]);
    const written = await throughDataStream(raw);
    const piped = await throughDataStream(raw, (stream) => new EncodedData(raw, body).pipe(stream));
    expect(piped).toMatchObject({ out: written.out, inByteCount: written.inByteCount, outByteCount: written.outByteCount, pushes: 1 });
  });

  it('writes the bytes as they are into any other stream', async () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    const other = new PassThrough();
    const chunks: Buffer[] = [];
    other.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => new EncodedData(raw).pipe(other).on('end', resolve));
    expect(Buffer.concat(chunks)).toEqual(raw);
  });
});
