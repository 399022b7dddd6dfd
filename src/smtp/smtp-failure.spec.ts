import { SecretDecryptionError } from '@herald/crypto';
import { SmtpCheckStep } from './smtp-check-result.model';
import { SessionTranscript } from './session-transcript';
import { classifySmtpFailure, stepOf } from './smtp-failure';

/** Errors shaped as nodemailer 10 makes them (code, command, response, responseCode, timeoutType). */
const nodemailerError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

/** A plain-SMTP session that got as far as these commands. */
function sessionAfter(...commands: string[]): SessionTranscript {
  const transcript = new SessionTranscript(false);
  transcript.connected();
  transcript.replied('220 relay.example.com ESMTP');
  for (const c of commands) transcript.sent(c);
  return transcript;
}

describe('classifySmtpFailure', () => {
  it("the SMTP pool's thread stopped (ETHREAD): that message's transient failure, not the relay's", () => {
    expect(classifySmtpFailure(nodemailerError('the SMTP pool thread stopped', { code: 'ETHREAD' }))).toMatchObject({ scope: 'message', transient: true, step: SmtpCheckStep.SEND });
  });

  describe('relay-wide', () => {
    it('cannot resolve the host: transient, at RESOLVE', () => {
      const failure = classifySmtpFailure(nodemailerError('getaddrinfo ENOTFOUND relay.invalid', { code: 'EDNS', command: 'CONN' }));
      expect(failure).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.RESOLVE, reply: null });
    });

    it('cannot connect: transient, at CONNECT', () => {
      const refused = nodemailerError('connect ECONNREFUSED 127.0.0.1:2525', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', syscall: 'connect', command: 'CONN' });
      expect(classifySmtpFailure(refused, new SessionTranscript(false))).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.CONNECT });
      const timedOut = nodemailerError('Connection timeout', { code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', command: 'CONN' });
      expect(classifySmtpFailure(timedOut)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.CONNECT });
    });

    it('no greeting, or not an SMTP greeting: at GREETING (a 5xx greeting is permanent)', () => {
      const silent = nodemailerError('Greeting never received', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', command: 'CONN' });
      expect(classifySmtpFailure(silent)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.GREETING });
      const refusing = nodemailerError('Invalid greeting. response=554 no service', { code: 'EPROTOCOL', command: 'CONN', response: '554 no service', responseCode: 554 });
      const connected = new SessionTranscript(false);
      connected.connected();
      expect(classifySmtpFailure(refusing, connected)).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.GREETING, responseCode: 554, reply: '554 no service' });
    });

    it('TLS fails (STARTTLS, or implicit TLS before the connection is established): at TLS', () => {
      const starttls = nodemailerError('Error initiating TLS - self-signed certificate', { code: 'ETLS', command: 'STARTTLS' });
      expect(classifySmtpFailure(starttls)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.TLS });
      const implicit = nodemailerError('self-signed certificate', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN' });
      expect(classifySmtpFailure(implicit, new SessionTranscript(true))).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.TLS });
    });

    it('the credentials are refused: permanent, at AUTH (every mail would be refused alike)', () => {
      const refused = nodemailerError('Invalid login', { code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.8 Authentication credentials invalid', responseCode: 535 });
      expect(classifySmtpFailure(refused)).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.AUTH, responseCode: 535 });
      expect(classifySmtpFailure(nodemailerError('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' }))).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.AUTH });
    });

    it("a temporary refusal at AUTH (454 4.7.0, 421): transient, at AUTH — the relay's circuit opens after RELAY_CIRCUIT_THRESHOLD of them, not at the first", () => {
      const temporary = nodemailerError('Invalid login: 454 4.7.0 Temporary authentication failure', { code: 'EAUTH', command: 'AUTH PLAIN', response: '454 4.7.0 Temporary authentication failure', responseCode: 454 });
      expect(classifySmtpFailure(temporary)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.AUTH, responseCode: 454 });
      const closing = nodemailerError('Invalid login: 421 4.3.2 Service shutting down', { code: 'EAUTH', command: 'AUTH LOGIN', response: '421 4.3.2 Service shutting down', responseCode: 421 });
      expect(classifySmtpFailure(closing)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.AUTH });
    });

    it('the stored password cannot be read: at AUTH, transient (an admin fixes it; giving up would be final)', () => {
      const failure = classifySmtpFailure(new SecretDecryptionError('it was encrypted with a different key'));
      expect(failure).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.AUTH });
    });

    it('a stall (socket timeout) is placed at the step the session was in, from its transcript', () => {
      const timeout = () => nodemailerError('Timeout', { code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' });
      expect(classifySmtpFailure(timeout(), sessionAfter('EHLO herald', 'AUTH PLAIN AGhlcmFsZAAvKiBzZWNyZXQgKi8='))).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.AUTH });
      expect(classifySmtpFailure(timeout(), sessionAfter('EHLO herald', 'AUTH LOGIN', 'aGVyYWxk'))).toMatchObject({ step: SmtpCheckStep.AUTH });
      expect(classifySmtpFailure(timeout(), sessionAfter('EHLO herald', 'MAIL FROM:<h@example.com>', 'RCPT TO:<a@example.com>', 'DATA'))).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.SEND });
      expect(classifySmtpFailure(timeout(), sessionAfter('EHLO herald', 'STARTTLS'))).toMatchObject({ step: SmtpCheckStep.TLS });
    });

    it('421 (the relay is closing the session) is relay-wide and transient, whatever the command', () => {
      const closing = nodemailerError('Recipient command failed: 421 4.3.2 shutting down', { code: 'EENVELOPE', command: 'RCPT TO', response: '421 4.3.2 shutting down', responseCode: 421 });
      expect(classifySmtpFailure(closing)).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.SEND });
    });

    it('a throttling reply (rate, limit, quota) is "slow down" for the relay as a whole, not the message', () => {
      const rate = '450 4.5.127 Message submission rate for this client has exceeded the configured limit';
      const throttled = nodemailerError(`Mail command failed: ${rate}`, { code: 'EENVELOPE', command: 'MAIL FROM', response: rate, responseCode: 450 });
      expect(classifySmtpFailure(throttled)).toMatchObject({ scope: 'relay', transient: true, throttled: true, step: SmtpCheckStep.SEND, reply: rate });
      const closing = nodemailerError('421 4.7.0 Too many messages, rate limited', { code: 'EENVELOPE', command: 'RCPT TO', response: '421 4.7.0 Too many messages, rate limited', responseCode: 421 });
      expect(classifySmtpFailure(closing)).toMatchObject({ scope: 'relay', throttled: true });
      // One recipient's mailbox over its quota is that recipient's matter.
      const full = nodemailerError('Recipient command failed: 452 4.2.2 mailbox full, over quota', { code: 'EENVELOPE', command: 'RCPT TO', response: '452 4.2.2 mailbox full, over quota', responseCode: 452 });
      expect(classifySmtpFailure(full)).toMatchObject({ scope: 'recipient', transient: true });
      expect(classifySmtpFailure(full).throttled).toBeUndefined();
    });

    it("Postfix's too much mail, a 4.7.x policy reply or \"try again later\" at MAIL FROM is \"slow down\" too; at RCPT TO only the rate's own words are", () => {
      const mailFrom = (reply: string) => nodemailerError(`Mail command failed: ${reply}`, { code: 'EENVELOPE', command: 'MAIL FROM', response: reply, responseCode: Number(reply.slice(0, 3)) });
      for (const reply of ['450 4.7.1 Error: too much mail from 127.0.0.1', '451 4.7.0 Temporary rejection, try again later', '421 4.7.28 sending paused for this client', '450 4.7.1 Please slow down'])
        expect(classifySmtpFailure(mailFrom(reply))).toMatchObject({ scope: 'relay', transient: true, throttled: true, step: SmtpCheckStep.SEND, command: 'MAIL FROM' });
      // A relay in trouble is not a rate: the relay's state (the circuit), not a slowdown.
      expect(classifySmtpFailure(mailFrom('451 4.3.2 System not accepting network messages')).throttled).toBeUndefined();
      const greylisted = nodemailerError('Recipient command failed: 450 4.7.1 greylisted, try again later', { code: 'EENVELOPE', command: 'RCPT TO', response: '450 4.7.1 greylisted, try again later', responseCode: 450 });
      expect(classifySmtpFailure(greylisted)).toMatchObject({ scope: 'recipient', transient: true });
      const tooMuch = nodemailerError('Recipient command failed: 450 4.7.1 too much mail', { code: 'EENVELOPE', command: 'RCPT TO', response: '450 4.7.1 too much mail', responseCode: 450 });
      expect(classifySmtpFailure(tooMuch)).toMatchObject({ scope: 'relay', throttled: true });
    });

    it("530 (authentication required) at MAIL FROM or RCPT TO is the relay refusing every mail before Herald signs in: relay-wide and final at AUTH (at TLS when it asks for STARTTLS first), never the message's or the recipient's", () => {
      const refused = (reply: string, command: string) =>
        nodemailerError(`${command === 'MAIL FROM' ? 'Mail' : 'Recipient'} command failed: ${reply}`, { code: 'EENVELOPE', command, response: reply, responseCode: 530 });
      expect(classifySmtpFailure(refused('530 5.7.57 Client not authenticated to send mail', 'MAIL FROM'))).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.AUTH, responseCode: 530 });
      expect(classifySmtpFailure(refused('530 Error: authentication Required', 'RCPT TO'))).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.AUTH });
      expect(classifySmtpFailure(refused('530 5.7.0 Must issue a STARTTLS command first', 'MAIL FROM'))).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.TLS });
    });

    it("a relay's daily sending quota used up (Google's 5.4.5 / 5.7.1, Microsoft 365's 5.1.90, 5.2.2, WASCL 5.2.0, 5.7.232/5.7.233) is the relay's state at any command: relay-wide, transient, opens its circuit at once, tried again an hour later", () => {
      const replies: Array<[string, string]> = [
        ['MAIL FROM', '550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 - gsmtp'],
        ['DATA', '550-5.4.5 Daily user sending quota exceeded. https://support.google.com/mail/?p=DailyLimitExceeded - gsmtp'],
        ['MAIL FROM', '550 5.4.5 Daily SMTP relay limit exceeded for user. For more information on SMTP relay sending limits please contact your administrator - gsmtp'],
        ['RCPT TO', '550 5.7.1 Daily SMTP relay limit exceeded for customer. - gsmtp'],
        ['DATA', "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients"],
        ['DATA', '554 5.2.2 Submission quota exceeded'],
        ['DATA', '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message WASCL UserAction verdict is not None. Actual verdict is RefuseQuota, ShowTierUpgrade.'],
        ['DATA', "550 5.7.233 Your message can't be sent because your tenant exceeded its daily limit for sending email to external recipients (tenant external recipient rate limit)"],
      ];
      for (const [command, reply] of replies) {
        const error = nodemailerError(`${command === 'DATA' ? 'Message' : 'Mail'} command failed: ${reply}`, { code: command === 'DATA' ? 'EMESSAGE' : 'EENVELOPE', command, response: reply, responseCode: Number(reply.slice(0, 3)) });
        expect({ reply, failure: classifySmtpFailure(error) }).toEqual({
          reply,
          failure: expect.objectContaining({ scope: 'relay', transient: true, step: SmtpCheckStep.SEND, opensCircuit: true, retryAfterMs: 3_600_000, reply, advice: expect.stringContaining('quotaRecipientsPerDay') }),
        });
        expect(classifySmtpFailure(error).throttled).toBeUndefined();
      }
    });

    it("an ordinary 5xx that says limit or quota is still this message's or recipient's: a full mailbox, a message over the size limit, a sender refused, a recipient's own quota", () => {
      const cases: Array<[string, string, 'message' | 'recipient']> = [
        ['RCPT TO', '552 5.2.2 The email account that you tried to reach is over quota. https://support.google.com/mail/?p=OverQuotaPerm - gsmtp', 'recipient'],
        ['DATA', '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded', 'message'],
        ['DATA', '552 5.3.4 Your message exceeded Google\'s message size limits. - gsmtp', 'message'],
        ['RCPT TO', '550 5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. - gsmtp', 'recipient'],
        ['DATA', '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.', 'message'],
        ['MAIL FROM', '550 5.7.1 Daily limit of the sender address reached', 'message'],
        ['DATA', '550 5.4.5 limit exceeded', 'message'],
      ];
      for (const [command, reply, scope] of cases) {
        const error = nodemailerError(`failed: ${reply}`, { code: command === 'DATA' ? 'EMESSAGE' : 'EENVELOPE', command, response: reply, responseCode: Number(reply.slice(0, 3)) });
        expect({ reply, failure: classifySmtpFailure(error) }).toEqual({ reply, failure: expect.objectContaining({ scope, transient: false }) });
        expect(classifySmtpFailure(error).opensCircuit).toBeUndefined();
      }
    });

    it('a connection lost while sending is relay-wide and transient', () => {
      const lost = nodemailerError('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' });
      expect(classifySmtpFailure(lost, sessionAfter('EHLO herald', 'MAIL FROM:<h@example.com>'))).toMatchObject({ scope: 'relay', transient: true, step: SmtpCheckStep.SEND });
    });
  });

  describe('one recipient', () => {
    it('refused for good (5xx at RCPT TO): permanent', () => {
      const unknown = nodemailerError("Can't send mail - all recipients were rejected: 550 5.1.1 no such user", { code: 'EENVELOPE', command: 'RCPT TO', response: '550 5.1.1 no such user', responseCode: 550 });
      expect(classifySmtpFailure(unknown)).toMatchObject({ scope: 'recipient', transient: false, step: SmtpCheckStep.SEND, reply: '550 5.1.1 no such user' });
    });

    it('refused for now (4xx at RCPT TO): transient', () => {
      const greylisted = nodemailerError('Recipient command failed: 451 4.7.1 greylisted', { code: 'EENVELOPE', command: 'RCPT TO', response: '451 4.7.1 greylisted', responseCode: 451 });
      expect(classifySmtpFailure(greylisted)).toMatchObject({ scope: 'recipient', transient: true, step: SmtpCheckStep.SEND });
    });

    it('an address nodemailer cannot use (no reply): permanent', () => {
      expect(classifySmtpFailure(nodemailerError('No recipients defined', { code: 'EENVELOPE' }))).toMatchObject({ scope: 'recipient', transient: false, step: SmtpCheckStep.SEND });
    });
  });

  describe('one message', () => {
    it('refused for good (5xx after DATA, or at MAIL FROM): permanent', () => {
      const content = nodemailerError('Message failed: 554 5.6.0 rejected', { code: 'EMESSAGE', command: 'DATA', response: '554 5.6.0 rejected', responseCode: 554 });
      expect(classifySmtpFailure(content)).toMatchObject({ scope: 'message', transient: false, step: SmtpCheckStep.SEND });
      const sender = nodemailerError('Mail command failed: 553 5.7.1 sender not allowed', { code: 'EENVELOPE', command: 'MAIL FROM', response: '553 5.7.1 sender not allowed', responseCode: 553 });
      expect(classifySmtpFailure(sender)).toMatchObject({ scope: 'message', transient: false, step: SmtpCheckStep.SEND });
    });

    it('refused for now (4xx after DATA): transient', () => {
      const full = nodemailerError('Message failed: 452 4.3.1 insufficient storage', { code: 'EMESSAGE', command: 'DATA', response: '452 4.3.1 insufficient storage', responseCode: 452 });
      expect(classifySmtpFailure(full)).toMatchObject({ scope: 'message', transient: true, step: SmtpCheckStep.SEND });
    });
  });

  it('describes the failure in one line: code, message, command', () => {
    const refused = nodemailerError('Invalid login: 535 nope', { code: 'EAUTH', command: 'AUTH PLAIN', response: '535 nope' });
    expect(classifySmtpFailure(refused).description).toBe('EAUTH: Invalid login: 535 nope (AUTH PLAIN)');
  });
});

describe('stepOf without a transcript', () => {
  it('falls back to CONNECT for an error that says nothing of where it happened', () => {
    expect(stepOf({ message: 'something odd' })).toBe(SmtpCheckStep.CONNECT);
  });
});
