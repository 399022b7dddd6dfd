import { SmtpCheckStep } from './smtp-check-result.model';
import { TranscriptRecorder, transcriptOf } from './session-transcript';

/** Entries as nodemailer's smtp-connection writes them to a bunyan-style logger. */
function feed(recorder: TranscriptRecorder, sid: string) {
  const { logger } = recorder;
  return {
    connected: () => logger.info({ tnx: 'network', sid, remoteAddress: '127.0.0.1', remotePort: 2525 }, '%s established to %s:%s', 'Connection', '127.0.0.1', 2525),
    server: (line: string) => logger.debug({ tnx: 'server', sid }, line),
    client: (line: string) => logger.debug({ tnx: 'client', sid }, line),
    error: (err: Error) => logger.error({ tnx: 'smtp', sid, err }, '%s', err.message),
  };
}

describe('TranscriptRecorder', () => {
  it('follows a session step by step and hands the transcript to the error that ends it', () => {
    const reached: string[] = [];
    const recorder = new TranscriptRecorder(false, (r) => reached.push(`${r.step}${r.reply ? ` ${r.reply}` : ''}`));
    const session = feed(recorder, 'a1');
    session.connected();
    session.server('220 relay ESMTP');
    session.client('EHLO herald');
    session.server('250-relay\n250 STARTTLS');
    session.client('STARTTLS');
    session.server('220 go ahead');
    session.client('EHLO herald');
    session.client('AUTH PLAIN AGhlcmFsZAAvKiBzZWNyZXQgKi8=');
    const timeout = Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT' });
    session.error(timeout);

    expect(reached).toEqual(['CONNECT', 'GREETING 220 relay ESMTP', 'TLS']);
    expect(transcriptOf(timeout)?.current).toBe(SmtpCheckStep.AUTH);
    expect(Object.keys(timeout)).toEqual(['code']); // the transcript is not enumerable: never logged or serialized
  });

  it('keeps the sessions of a pool apart', () => {
    const recorder = new TranscriptRecorder(false);
    const [a, b] = [feed(recorder, 'a'), feed(recorder, 'b')];
    a.connected();
    b.connected();
    a.client('EHLO herald');
    b.client('EHLO herald');
    b.client('MAIL FROM:<h@example.com>');
    const [ea, eb] = [new Error('a'), new Error('b')];
    a.error(ea);
    b.error(eb);
    expect(transcriptOf(ea)?.current).toBe(SmtpCheckStep.GREETING);
    expect(transcriptOf(eb)?.current).toBe(SmtpCheckStep.SEND);
  });

  it('tells once when a session begins sending (its first MAIL FROM)', () => {
    const sending: string[] = [];
    const recorder = new TranscriptRecorder(false, undefined, (sid) => sending.push(sid));
    const [a, b] = [feed(recorder, 'a'), feed(recorder, 'b')];
    a.client('EHLO herald');
    a.client('AUTH PLAIN AGhlcmFsZAAvKiBzZWNyZXQgKi8=');
    expect(sending).toEqual([]);
    a.client('MAIL FROM:<h@example.com>');
    a.client('RCPT TO:<p@example.com>');
    a.client('DATA');
    b.client('EHLO herald');
    b.client('MAIL FROM:<h@example.com>');
    a.client('MAIL FROM:<h@example.com>');
    expect(sending).toEqual(['a', 'b']);
  });

  it('places the end of a sending session at SEND even when its transcript was forgotten (its entries then say it was sending)', () => {
    const recorder = new TranscriptRecorder(false);
    const long = feed(recorder, 'long');
    long.connected();
    long.client('EHLO herald');
    long.client('MAIL FROM:<h@example.com>'); // from here on the pool logs nothing of it below a warning
    for (let i = 0; i < 64; i++) feed(recorder, `s${i}`).connected(); // 64 later sessions: the oldest transcript is forgotten
    const [untagged, tagged] = [new Error('Connection closed unexpectedly'), new Error('Connection closed unexpectedly')];
    recorder.logger.error({ tnx: 'smtp', sid: 'long', err: untagged }, '%s', untagged.message);
    recorder.logger.error({ tnx: 'smtp', sid: 'long2', err: tagged, sending: true }, '%s', tagged.message);
    expect(transcriptOf(untagged)?.current).toBe(SmtpCheckStep.CONNECT); // what an entry without the mark can tell
    expect(transcriptOf(tagged)?.current).toBe(SmtpCheckStep.SEND);
  });

  it('with implicit TLS, the established connection is also the TLS step', () => {
    const reached: SmtpCheckStep[] = [];
    const recorder = new TranscriptRecorder(true, (r) => reached.push(r.step));
    feed(recorder, 's').connected();
    expect(reached).toEqual([SmtpCheckStep.CONNECT, SmtpCheckStep.TLS]);
  });
});
