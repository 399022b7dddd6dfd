import { type AddressInfo, Socket } from 'node:net';
import { MailerService } from '@nestjs-modules/mailer';
import { SMTPServer } from 'smtp-server';
import { SMTP_DEFAULTS, SmtpAuthMethod, SmtpSecurity, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import type { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { LiveTransport, sendEncoded, sessionLog } from './live-transport';
import type { RelayLogins } from './relay-login';
import { encodeAlternative, withHeaders } from './mime-message';
import { transcriptOf } from './session-transcript';
import { classifySmtpFailure } from './smtp-failure';
import { SmtpCheckStep } from './smtp-check-result.model';
import { SmtpThreads } from './thread/smtp-threads';
import type { HeraldConfig } from '../config/herald-config';

interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * A real SMTP server keeping the bytes of each message as they arrived. `refuse`
 * answers a MAIL FROM or RCPT TO with an error reply (a 421 also closes the connection).
 */
async function relay(refuse: { mailFrom?: (nth: number, reused: boolean) => number | undefined; rcptTo?: (address: string) => number | undefined; drop?: (address: string) => boolean; hold?: Promise<void> } = {}) {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let mailFroms = 0;
  const reply = (code: number) => Object.assign(new Error(`refused (${code})`), { responseCode: code });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onMailFrom: (_address, session, callback) => {
      const code = refuse.mailFrom?.(++mailFroms, session.transaction > 1);
      callback(code ? reply(code) : undefined);
    },
    onRcptTo: (address, _session, callback) => {
      if (refuse.drop?.(address.address)) {
        for (const socket of sockets) socket.destroy(); // the connection lost in the middle of a message
        return;
      }
      const code = refuse.rcptTo?.(address.address);
      callback(code ? reply(code) : undefined);
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void (refuse.hold ?? Promise.resolve()).then(() => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
          callback();
        });
      });
    },
  });
  server.server.on('connection', (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, port: (server.server.address() as AddressInfo).port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type Transporter = ReturnType<MailerService['getTransporter']>;

/** The mailer module with one pooled transporter to the port, as LiveTransport builds it; `tap` sees each log entry. */
function mailerTo(port: number, tap?: (entry: { tnx?: string; sid?: string; sending?: boolean }, message: unknown) => void): { mailer: MailerService; transporter: Transporter } {
  const mailer = new MailerService({ transports: {} }, undefined as never);
  const log = sessionLog(false);
  const { logger, transactionLog } = log.options;
  const tapped = tap && (Object.fromEntries(Object.entries(logger).map(([level, write]) => [level, (entry: { tnx?: string }, message: unknown, ...args: unknown[]) => (tap(entry, message), write(entry, message, ...args))])) as typeof logger);
  mailer.addTransporter('relay', { host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: 1, maxRequeues: 2, logger: tapped ?? logger, transactionLog } as never);
  const transporter = mailer.getTransporter('relay');
  log.attach(transporter);
  return { mailer, transporter };
}

async function message(to: string | { name: string; address: string }) {
  const body = encodeAlternative('0123456789abcdef', 'Plain — text. '.repeat(20), `<p>${'HTML, ünïcödé '.repeat(20)}</p>`);
  return withHeaders(body, '0123456789abcdef', [
    { key: 'From', value: 'Herald <herald@example.com>' },
    { key: 'To', value: to },
    { key: 'Subject', value: 'Grüße — a subject long enough to be folded by the header encoder at 76 characters' },
    { key: 'Message-ID', value: '<m1@example.com>' },
  ], Date.UTC(2026, 10, 24, 9));
}

describe('sendEncoded: an encoded message straight to the pool of the mailer module', () => {
  let server: Awaited<ReturnType<typeof relay>>;
  let mailer: MailerService;

  afterEach(async () => {
    mailer?.removeTransporter('relay');
    await server?.stop();
  });

  it("puts the same envelope and bytes on the wire as the mailer's sendMail", async () => {
    server = await relay();
    let transporter;
    ({ mailer, transporter } = mailerTo(server.port));
    const encoded = await message({ name: 'Zoë Ó', address: 'zoe@bücher.example' });
    const noFinalBreak = { envelope: { from: 'herald@example.com', to: ['a@example.com', 'b@example.com'] }, raw: Buffer.from('Subject: x\r\n\r\nno line break at the end') };
    for (const mail of [encoded, noFinalBreak]) {
      await mailer.sendMail({ ...mail, transporterName: 'relay' });
      const info = await sendEncoded(transporter, { ...mail, messageId: '<m1@example.com>' });
      expect(info).toMatchObject({ accepted: mail.envelope.to, messageId: '<m1@example.com>', response: expect.stringMatching(/^250 /) });
    }
    // With its body named as shared (what the composer gives for an event's recipients).
    await sendEncoded(transporter, { ...encoded, body: encoded.raw.subarray(encoded.raw.indexOf('\r\n\r\n') + 4) });
    expect(server.received).toHaveLength(5);
    const [viaMailer, viaPool, viaMailer2, viaPool2, withBody] = server.received;
    expect(viaPool).toEqual(viaMailer);
    expect(viaPool2).toEqual(viaMailer2);
    expect(withBody).toEqual(viaMailer);
    expect(viaPool.to).toEqual(['zoe@bücher.example']);
    expect(viaPool2.raw.toString()).toMatch(/no line break at the end\r\n$/);
  });

  it('sends bytes that DataStream changes (dots to stuff, bare line breaks) as the mailer\'s sendMail sends them', async () => {
    server = await relay();
    let transporter;
    ({ mailer, transporter } = mailerTo(server.port));
    const mail = { envelope: { from: 'herald@example.com', to: ['a@example.com'] }, raw: Buffer.from('Subject: x\r\n\r\n.a dot\r\nbare LF\nbare CR\r..\r\n.\r\nend\r') };
    await mailer.sendMail({ ...mail, transporterName: 'relay' });
    await sendEncoded(transporter, mail);
    const [viaMailer, viaPool] = server.received;
    expect(viaPool).toEqual(viaMailer);
    expect(viaPool.raw.toString()).toBe('Subject: x\r\n\r\n.a dot\r\nbare LF\r\nbare CR\r\n..\r\n.\r\nend\r\n');
  });

  it('writes a message and its final dot to the socket at once (one write per message, not two)', async () => {
    server = await relay();
    let transporter;
    ({ mailer, transporter } = mailerTo(server.port));
    // Each call a write to the socket's handle (the envelope, corked, is one writev); every socket's, the relay's replies too.
    const socket = Socket.prototype as unknown as { _writeGeneric(writev: boolean, data: Buffer | Array<{ chunk: Buffer | string }>): void };
    const write = jest.spyOn(socket, '_writeGeneric');
    const text = (chunk: Buffer | string) => (Buffer.isBuffer(chunk) ? chunk.toString('latin1') : chunk);
    let writes: string[];
    try {
      for (const to of ['first@example.com', 'second@example.com']) await sendEncoded(transporter, await message(to));
      writes = write.mock.calls.map(([writev, data]) => (writev ? (data as Array<{ chunk: Buffer | string }>).map((c) => text(c.chunk)).join('') : text(data as Buffer)));
    } finally {
      write.mockRestore();
    }
    const messages = writes.filter((w) => w.includes('Message-ID: <m1@example.com>'));
    expect(messages).toHaveLength(2);
    for (const w of messages) expect(w.endsWith('--\r\n.\r\n')).toBe(true);
    expect(writes.filter((w) => w === '.\r\n' || w === '\r\n.\r\n')).toEqual([]);
  });

  it('is re-queued, like any message of the pool, when the relay closes a reused connection before the message (421)', async () => {
    // The second MAIL FROM, the first on a reused connection, gets 421 and the connection is closed.
    server = await relay({ mailFrom: (nth, reused) => (nth === 2 && reused ? 421 : undefined) });
    let transporter;
    ({ mailer, transporter } = mailerTo(server.port));
    await sendEncoded(transporter, await message('first@example.com'));
    await sendEncoded(transporter, await message('second@example.com'));
    expect(server.received.map((m) => m.to)).toEqual([['first@example.com'], ['second@example.com']]);
  });

  it('fails with the error a refusal gives, carrying the transcript that places it (RCPT TO: the recipient, at SEND)', async () => {
    server = await relay({ rcptTo: (address) => (address.startsWith('gone') ? 550 : undefined) });
    let transporter;
    ({ mailer, transporter } = mailerTo(server.port));
    const error = await sendEncoded(transporter, await message('gone@example.com')).catch((e: unknown) => e);
    expect(classifySmtpFailure(error)).toMatchObject({ scope: 'recipient', transient: false, step: SmtpCheckStep.SEND, responseCode: 550 });
    // The connection is reset and kept: the next message goes through.
    await sendEncoded(transporter, await message('here@example.com'));
    expect(server.received.map((m) => m.to)).toEqual([['here@example.com']]);
  });

  it("logs a session's commands and replies until it sends, then no more; a session lost later is still placed at SEND", async () => {
    server = await relay({ drop: (address) => address.startsWith('drop') });
    const logged: string[] = [];
    let withoutSession = 0;
    const markedSending: string[] = [];
    let transporter;
    ({ mailer, transporter } = mailerTo(server.port, (entry, message) => {
      if (entry.tnx === 'client' || entry.tnx === 'server' || entry.tnx === 'message') logged.push(`${entry.tnx} ${String(message)}`);
      if (!entry.sid) withoutSession++;
      if (entry.sending) markedSending.push(String(message));
    }));
    withoutSession = 0; // the mailer's "Creating transport", before the pool is attached
    for (const to of ['first@example.com', 'second@example.com', 'third@example.com']) await sendEncoded(transporter, await message(to));
    expect(logged.filter((l) => l.startsWith('client'))).toEqual([expect.stringMatching(/^client EHLO /), 'client MAIL FROM:<herald@example.com>']);
    expect(logged.filter((l) => l.startsWith('server'))).toHaveLength(2); // the greeting, EHLO's reply
    expect(logged.filter((l) => l.startsWith('message'))).toEqual([]); // nor each message's byte counts
    const error = await sendEncoded(transporter, await message('drop@example.com')).catch((e: unknown) => e);
    expect(transcriptOf(error)?.current).toBe(SmtpCheckStep.SEND);
    expect(classifySmtpFailure(error)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.SEND });
    expect(markedSending.length).toBeGreaterThan(0); // what ends a sending session says so (its transcript may be forgotten by then)
    // Each new session (the lost message is re-queued once on a new one, lost again) is logged until it sends.
    await sendEncoded(transporter, await message('fourth@example.com'));
    const sessions = [expect.stringMatching(/^client EHLO /), 'client MAIL FROM:<herald@example.com>'];
    expect(logged.filter((l) => l.startsWith('client'))).toEqual([...sessions, ...sessions, ...sessions]);
    expect(server.received.map((m) => m.to)).toEqual([['first@example.com'], ['second@example.com'], ['third@example.com'], ['fourth@example.com']]);
    expect(withoutSession).toBe(0); // the pool's own entries (none a transcript reads) are not made
  });
});

describe.each([
  ['on the main thread', undefined],
  ['in a worker thread (RELAY_THREAD)', new SmtpThreads({ relay: { thread: true } } as HeraldConfig)],
])('LiveTransport: a pool per settings, %s', (_where, threads) => {
  let server: Awaited<ReturnType<typeof relay>>;
  afterEach(async () => server?.stop());

  it('keeps the old pool until its send is answered when the settings change, then closes it; the next send gets a new pool', async () => {
    let release!: () => void;
    server = await relay({ hold: new Promise<void>((resolve) => (release = resolve)) });
    const settings = { ...SMTP_DEFAULTS, host: '127.0.0.1', port: server.port, sender: 'Herald <herald@example.com>', security: SmtpSecurity.NONE, authMethod: SmtpAuthMethod.NONE, poolSize: 1 } as SmtpSettings;
    const closed: string[] = [];
    const logins = { login: () => ({ auth: undefined, close: () => closed.push('login') }) } as unknown as RelayLogins;
    const mailer = new MailerService({ transports: {} }, undefined as never);
    const removed: string[] = [];
    const remove = mailer.removeTransporter.bind(mailer);
    mailer.removeTransporter = (name: string) => (removed.push(name), remove(name));
    const transport = new LiveTransport(mailer, { get: async () => settings } as unknown as SmtpSettingsService, logins, threads);

    const first = await transport.relay();
    const sending = first!.send(await message('first@example.com'));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the message is with the relay, unanswered
    transport.onSettingsChanged();
    expect(removed).toEqual([]); // its pool still sends
    const second = await transport.relay();
    expect(second).not.toBe(first);
    release();
    await expect(sending).resolves.toMatchObject({ response: expect.stringMatching(/^250 /) });
    expect(removed).toHaveLength(1); // closed once idle, with its login
    expect(closed).toEqual(['login']);
    await expect(second!.send(await message('second@example.com'))).resolves.toMatchObject({ accepted: ['second@example.com'] });
    expect(server.received.map((m) => m.to)).toEqual([['first@example.com'], ['second@example.com']]);
    transport.onApplicationShutdown();
    expect(removed).toHaveLength(2);
  });
});

describe('LiveTransport: a pool in a worker thread that cannot take a mail', () => {
  it('gives a rejected promise, never a throw, when the pool throws at once (its thread cannot start), and counts the send out', async () => {
    const settings = { ...SMTP_DEFAULTS, host: '127.0.0.1', port: 2525, sender: 'Herald <herald@example.com>', security: SmtpSecurity.NONE, authMethod: SmtpAuthMethod.NONE } as SmtpSettings;
    const logins = { login: () => ({ auth: undefined, close: () => undefined }) } as unknown as RelayLogins;
    const failing = { send: () => { throw new Error('worker initialization failed'); }, close: () => undefined };
    const threads = { pool: () => failing } as unknown as SmtpThreads;
    const mailer = new MailerService({ transports: {} }, undefined as never);
    const removed: string[] = [];
    const remove = mailer.removeTransporter.bind(mailer);
    mailer.removeTransporter = (name: string) => (removed.push(name), remove(name));
    const transport = new LiveTransport(mailer, { get: async () => settings } as unknown as SmtpSettingsService, logins, threads);
    const relay = await transport.relay();
    const mail = await message('a@example.com');
    let sending: Promise<unknown> | undefined;
    expect(() => (sending = relay!.send(mail))).not.toThrow();
    await expect(sending).rejects.toThrow('worker initialization failed');
    transport.onSettingsChanged();
    expect(removed).toHaveLength(1); // nothing in flight: closed at once
  });
});
