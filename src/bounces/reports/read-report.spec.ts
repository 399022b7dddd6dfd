import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReport } from './read-report';
import type { BounceReading } from './report-reading';

/** test/fixtures/bounces/: real Postfix reports and samples of Exchange's and Gmail's (README.md there says how each was made). */
const fixture = (name: string) => readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'bounces', name));

async function bounce(name: string): Promise<BounceReading> {
  const reading = await readReport(fixture(name));
  if (reading.kind !== 'BOUNCE') throw new Error(`${name}: ${JSON.stringify(reading)}`);
  return reading;
}

describe('readReport', () => {
  describe('delivery status notifications (RFC 3464) that say a delivery failed', () => {
    it.each([
      // file, format, original Message-ID, recipient, status, class, diagnostic (start), reporting MTA, remote MTA
      ['postfix-unknown-local-user.eml', 'POSTFIX', '<herald.9f86d081884c7d65.1005@bounces.test>', 'alice@herald.test', '5.1.1', 'HARD', 'unknown user: "alice"', 'mx.herald.test', null],
      ['postfix-remote-unknown-user.eml', 'POSTFIX', '<herald.9f86d081884c7d65.1001@bounces.test>', 'gone@remote.test', '5.1.1', 'HARD', '550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown in virtual mailbox table', 'mx.herald.test', '127.0.0.1'],
      ['postfix-mailbox-full.eml', 'POSTFIX', '<herald.9f86d081884c7d65.1002@bounces.test>', 'full@remote.test', '5.2.2', 'HARD', '552 5.2.2 <full@remote.test>: Mailbox full', 'mx.herald.test', '127.0.0.1'],
      ['postfix-headers-only.eml', 'POSTFIX', '<herald.9f86d081884c7d65.1004@bounces.test>', 'bob@herald.test', '5.1.1', 'HARD', 'unknown user: "bob"', 'mx.herald.test', null],
      ['postfix-expired-soft.eml', 'POSTFIX', '<herald.9f86d081884c7d65.1003@bounces.test>', 'late@slow.test', '4.4.1', 'SOFT', 'connect to 127.0.0.1[127.0.0.1]:9: Connection refused', 'mx.herald.test', null],
      ['exchange-online-unknown-recipient.eml', 'EXCHANGE', '<herald.4b227777d4dd1fc6.2187@contoso.com>', 'bob.former@contoso.com', '5.1.10', 'HARD', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient bob.former@contoso.com not found by SMTP address lookup', 'DB9PR04MB8123.eurprd04.prod.outlook.com', null],
      ['gmail-address-not-found.eml', 'GMAIL', '<herald.e7f6c011776e8db7.3301@example.com>', 'dana.gone@gmail.com', '5.1.1', 'HARD', '550-5.1.1 The email account that you tried to reach does not exist.', 'googlemail.com', 'gmail-smtp-in.l.google.com.'],
    ])('%s: a %s report, the delivery found by its Message-ID', async (file, format, messageId, address, status, bounceClass, diagnostic, reportingMta, remoteMta) => {
      const reading = await bounce(file);
      expect(reading).toMatchObject({ format, originalMessageId: messageId, reportingMta });
      expect(reading.recipients).toHaveLength(1);
      const [recipient] = reading.recipients;
      expect(recipient).toMatchObject({ address, status, bounceClass });
      expect(recipient.diagnosticCode).toContain(diagnostic);
      if (remoteMta) expect(recipient.remoteMta).toContain(remoteMta);
      else expect(recipient.remoteMta).toBeNull();
    });

    it('unfolds a Diagnostic-Code written over several lines', async () => {
      const [recipient] = (await bounce('postfix-remote-unknown-user.eml')).recipients;
      expect(recipient.diagnosticCode).toBe('550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown in virtual mailbox table');
    });

    it('takes the precise status from the diagnostic when Status only gives the class (5.0.0)', async () => {
      const raw = fixture('postfix-remote-unknown-user.eml').toString('utf8').replace('Status: 5.1.1', 'Status: 5.0.0');
      expect(await readReport(Buffer.from(raw))).toMatchObject({ kind: 'BOUNCE', recipients: [{ status: '5.1.1', bounceClass: 'HARD' }] });
    });

    it('reads a report with CRLF line ends as one with LF (IMAP serves CRLF)', async () => {
      const crlf = fixture('postfix-unknown-local-user.eml').toString('utf8').replace(/\r?\n/g, '\r\n');
      expect(await readReport(Buffer.from(crlf))).toEqual(await readReport(fixture('postfix-unknown-local-user.eml')));
    });
  });

  describe('non-delivery reports in text (no machine-readable part)', () => {
    it("reads Exchange's older form: the address and 'Remote Server returned', the Message-ID under 'Original message headers'", async () => {
      const reading = await bounce('exchange-legacy-text.eml');
      expect(reading).toMatchObject({ format: 'EXCHANGE', originalMessageId: '<herald.4b227777d4dd1fc6.2190@corp.example.com>', reportingMta: 'EXCH02.corp.example.com' });
      expect(reading.recipients).toEqual([
        { address: 'carol.left@corp.example.com', originalAddress: null, status: '5.1.1', bounceClass: 'HARD', diagnosticCode: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found', remoteMta: null },
      ]);
    });

    it("reads Gmail's older form: 'failed permanently', the other server's words, the Message-ID under 'Original message'", async () => {
      const reading = await bounce('gmail-legacy-text.eml');
      expect(reading).toMatchObject({ format: 'GMAIL', originalMessageId: '<herald.e7f6c011776e8db7.3302@example.com>', reportingMta: 'googlemail.com' });
      expect(reading.recipients).toEqual([
        { address: 'erin.old@example.org', originalAddress: null, status: '5.1.1', bounceClass: 'HARD', diagnosticCode: '550 5.1.1 <erin.old@example.org>: Recipient address rejected: User unknown', remoteMta: null },
      ]);
    });
  });

  describe('what is no bounce', () => {
    it.each([
      ['postfix-delayed.eml', 'POSTFIX', '<herald.9f86d081884c7d65.1003@bounces.test>'],
      ['exchange-delayed.eml', 'EXCHANGE', '<herald.4b227777d4dd1fc6.2188@contoso.com>'],
    ])('%s: a delay notice (Action: delayed) is a notice, not a bounce', async (file, format, messageId) => {
      expect(await readReport(fixture(file))).toMatchObject({ kind: 'NOTICE', format, action: 'delayed', originalMessageId: messageId });
    });

    it.each([
      ['out-of-office-exchange.eml', '<herald.4b227777d4dd1fc6.2189@contoso.com>'],
      ['out-of-office-vacation.eml', '<herald.e7f6c011776e8db7.3303@example.com>'],
    ])('%s: an automatic reply (Auto-Submitted, "Automatic reply:") is no bounce', async (file, inReplyTo) => {
      expect(await readReport(fixture(file))).toMatchObject({ kind: 'AUTO_REPLY', originalMessageId: inReplyTo });
    });

    it("a person's mail, even in reply to Herald's, is left alone", async () => {
      expect(await readReport(fixture('not-a-report.eml'))).toEqual({ kind: 'NOT_A_REPORT', subject: 'Re: [billing] nightly-analysis failed' });
    });

    it('a forwarded report is a person\'s mail ("Fwd: Undeliverable: …" from a person)', async () => {
      const raw = fixture('not-a-report.eml').toString('utf8').replace('Subject: Re: [billing]', 'Subject: Fwd: Undeliverable: [billing]');
      expect(await readReport(Buffer.from(raw))).toMatchObject({ kind: 'NOT_A_REPORT' });
    });
  });

  describe('reports Herald cannot use: unreadable, with the reason', () => {
    it('a report cut in the middle of its delivery-status part', async () => {
      expect(await readReport(fixture('malformed-truncated.eml'))).toEqual({
        kind: 'UNREADABLE',
        subject: 'Undelivered Mail Returned to Sender',
        reason: 'its message/delivery-status part has a recipient without an Action or a Status (truncated?)',
      });
    });

    it('a report with no Message-ID of the returned message', async () => {
      expect(await readReport(fixture('malformed-no-message-id.eml'))).toMatchObject({ kind: 'UNREADABLE', reason: expect.stringContaining('no Message-ID of the returned message') });
    });

    it('a multipart/report cut before its delivery-status part', async () => {
      const raw = fixture('postfix-unknown-local-user.eml').toString('utf8');
      const cut = raw.slice(0, raw.indexOf('Content-Description: Delivery report'));
      expect(await readReport(Buffer.from(cut))).toMatchObject({ kind: 'UNREADABLE', reason: 'a multipart/report without its message/delivery-status part (truncated?)' });
    });

    it('a text report naming no recipient Herald can read', async () => {
      const raw = fixture('exchange-legacy-text.eml').toString('utf8').replace(/Remote Server returned '[^']*'/, 'see the log');
      expect(await readReport(Buffer.from(raw))).toMatchObject({ kind: 'UNREADABLE', reason: expect.stringContaining('no failed recipient') });
    });

    it('bytes that are no mail at all are no report', async () => {
      expect(await readReport(Buffer.from([0, 1, 2, 255, 254, 0x0a, 0x0a]))).toMatchObject({ kind: 'NOT_A_REPORT' });
    });
  });
});
