import { SmtpCheckStep } from './smtp-check-step';

/** A step the session got through, with the relay's reply where it matters (the greeting). */
export interface ReachedStep {
  step: SmtpCheckStep;
  reply?: string;
}

/** The step a client command belongs to (SMTP verbs, RFC 5321 / 3207 / 4954). */
const STEP_OF_COMMAND: Record<string, SmtpCheckStep> = {
  EHLO: SmtpCheckStep.GREETING,
  HELO: SmtpCheckStep.GREETING,
  LHLO: SmtpCheckStep.GREETING,
  STARTTLS: SmtpCheckStep.TLS,
  AUTH: SmtpCheckStep.AUTH,
  'MAIL FROM': SmtpCheckStep.SEND,
  'RCPT TO': SmtpCheckStep.SEND,
  DATA: SmtpCheckStep.SEND,
  RSET: SmtpCheckStep.SEND,
};
const VERB = /^(MAIL FROM|RCPT TO|[A-Z]{4,8})\b/i;

/**
 * What happened on one SMTP session, as it happened: whether the connection was
 * made, the commands Herald sent and the replies it got. The step a session is
 * in follows from the protocol itself — the last command's verb — not from the
 * wording of any log line; a continuation line of AUTH (a base64 challenge
 * answer, never recorded) keeps the session at AUTH.
 */
export class SessionTranscript {
  /** Steps completed, in order. */
  readonly reached: ReachedStep[] = [];
  /** The step in progress: nothing is connected yet. */
  current = SmtpCheckStep.CONNECT;
  /** The relay's last reply line. */
  lastReply?: string;
  private greeting?: string;

  constructor(
    /** Implicit TLS: the connection is encrypted from the first byte. */
    readonly implicitTls: boolean,
    private readonly onReached: (reached: ReachedStep) => void = () => undefined,
  ) {}

  /** The TCP connection (with implicit TLS: the TLS session) is established. */
  connected(): void {
    if (this.current !== SmtpCheckStep.CONNECT) return;
    this.reach({ step: SmtpCheckStep.CONNECT });
    if (this.implicitTls) this.reach({ step: SmtpCheckStep.TLS });
    this.current = SmtpCheckStep.GREETING;
  }

  /** A reply line from the relay. */
  replied(line: string): void {
    this.greeting ??= line;
    this.lastReply = line;
  }

  /** A command Herald sent (as nodemailer logs it: credentials already masked, and only the verb is kept). */
  sent(command: string): void {
    const verb = VERB.exec(command)?.[1]?.toUpperCase();
    const next = verb ? STEP_OF_COMMAND[verb] : undefined;
    if (!next || next === this.current) return;
    this.leave(this.current);
    this.current = next;
  }

  /**
   * The session was sending when its transcript was made (the earlier one forgotten:
   * a pool's connection that sends is no longer logged below a warning).
   */
  resumedSending(): void {
    this.current = SmtpCheckStep.SEND;
  }

  /** The session is ready for what it was opened for (greeted, secured and authenticated as configured). */
  ready(): void {
    this.leave(this.current);
  }

  has(step: SmtpCheckStep): boolean {
    return this.reached.some((r) => r.step === step);
  }

  /** The step in progress is over: it is reached unless it was before (EHLO again after STARTTLS). */
  private leave(step: SmtpCheckStep): void {
    if (step === SmtpCheckStep.CONNECT || this.has(step)) return;
    this.reach(step === SmtpCheckStep.GREETING ? { step, reply: this.greeting } : { step });
  }

  private reach(reached: ReachedStep): void {
    this.reached.push(reached);
    this.onReached(reached);
  }
}

/** A log entry as nodemailer writes it (bunyan style): structured fields first; the fields read here. */
interface LogEntry extends Record<string, unknown> {
  /** Which part of the session: network, client (a command sent), server (a reply), smtp… */
  tnx?: string;
  /** The SMTP connection the entry belongs to. */
  sid?: string;
  /** Set on the entry of the established connection. */
  remoteAddress?: string;
  /** The error that ended the session, on its entry. */
  err?: unknown;
  /** Set by LiveTransport on the entries of a session past its first MAIL FROM (see sessionLog). */
  sending?: boolean;
}
type LogMethod = (entry: LogEntry, message?: unknown, ...args: unknown[]) => void;
export type NodemailerLogger = Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', LogMethod>;

const TRANSCRIPT = Symbol('smtp-session-transcript');

/** The transcript of the session an error ended, if a TranscriptRecorder saw it end. */
export function transcriptOf(error: unknown): SessionTranscript | undefined {
  return typeof error === 'object' && error !== null ? (error as { [TRANSCRIPT]?: SessionTranscript })[TRANSCRIPT] : undefined;
}

/** A transcript as plain data, to hand to another thread (the SMTP pool's worker: thread/). */
export interface TranscriptState {
  implicitTls: boolean;
  reached: ReachedStep[];
  current: SmtpCheckStep;
  lastReply?: string;
}

export function stateOf(transcript: SessionTranscript): TranscriptState {
  const { implicitTls, reached, current, lastReply } = transcript;
  return { implicitTls, reached: [...reached], current, lastReply };
}

/** The error carries the transcript of this state (`transcriptOf`), as if a TranscriptRecorder had seen its session end. */
export function carryTranscript(error: Error, state: TranscriptState): void {
  const transcript = new SessionTranscript(state.implicitTls);
  transcript.reached.push(...state.reached);
  transcript.current = state.current;
  transcript.lastReply = state.lastReply;
  Object.defineProperty(error, TRANSCRIPT, { value: transcript, configurable: true });
}

/** How many sessions a recorder keeps at most (a pool keeps a few connections open; the oldest are forgotten first). */
const MAX_SESSIONS = 64;

/**
 * Records the transcripts of the SMTP sessions of one transport, fed by
 * nodemailer's logger interface with `transactionLog` on (commands and replies,
 * never the message, credentials masked by nodemailer). Reads only the
 * structured fields of an entry (`tnx`, `sid`, `remoteAddress`, `err`) and, for
 * commands and replies, their text. The error that ends a session carries its
 * transcript (`transcriptOf`), so whoever gets the error can tell how far the
 * session got.
 */
export class TranscriptRecorder {
  private readonly sessions = new Map<string, SessionTranscript>();
  readonly logger: NodemailerLogger;

  constructor(
    private readonly implicitTls: boolean,
    private readonly onReached?: (reached: ReachedStep) => void,
    /** A session began sending (its first MAIL FROM): its step is SEND from then on, whatever it sends. */
    private readonly onSending?: (sid: string) => void,
  ) {
    const record: LogMethod = (entry, message) => this.record(entry, message);
    this.logger = { trace: record, debug: record, info: record, warn: record, error: record, fatal: record };
  }

  private record(entry: LogEntry, message: unknown): void {
    if (!entry?.sid) return; // the pool's own entries
    const transcript = this.session(entry.sid, entry.sending === true);
    if (entry.err && typeof entry.err === 'object') {
      Object.defineProperty(entry.err, TRANSCRIPT, { value: transcript, configurable: true }); // not enumerable: never logged
    } else if (entry.tnx === 'network' && entry.remoteAddress) transcript.connected();
    else if (entry.tnx === 'server' && typeof message === 'string') transcript.replied(message);
    else if (entry.tnx === 'client' && typeof message === 'string') {
      const before = transcript.current;
      transcript.sent(message);
      if (transcript.current === SmtpCheckStep.SEND && before !== SmtpCheckStep.SEND) this.onSending?.(entry.sid);
    }
  }

  /** The session begun last (for a recorder of one connection: its session). */
  latest(): SessionTranscript | undefined {
    return [...this.sessions.values()].at(-1);
  }

  private session(sid: string, sending: boolean): SessionTranscript {
    let transcript = this.sessions.get(sid);
    if (!transcript) {
      transcript = new SessionTranscript(this.implicitTls, this.onReached);
      if (sending) transcript.resumedSending();
      this.sessions.set(sid, transcript);
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return transcript;
  }
}
