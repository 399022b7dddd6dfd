/**
 * Temporary replies to MAIL FROM, remembered for a short window: MAIL FROM names
 * only Herald's sender, the same for every message, so the same temporary reply
 * there for several different messages is the relay's state (`451 4.3.2 System not
 * accepting network messages`), not each message's. From `threshold` different
 * messages within `windowMs` on, that reply opens the relay's circuit instead of
 * spending each delivery's attempts; while the circuit has not seen a mail go
 * through since, the same reply again (a probe passed, the first mails after it
 * refused alike) is the relay's at once. One per process, in memory: the circuit
 * it opens is shared through the database.
 */
export class SenderRefusals {
  /** By reply: the messages that got it, and when. */
  private readonly seen = new Map<string, Map<number, number>>();
  /** The reply the relay's circuit was opened for, until a mail goes through. */
  private relayState?: string;

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  /** A temporary reply to MAIL FROM for `message`: whether it is the relay's state (open the circuit). */
  refused(reply: string | null, message: number, now: number): boolean {
    const key = keyOf(reply);
    if (this.relayState === key) return true;
    let messages = this.seen.get(key);
    if (!messages) this.seen.set(key, (messages = new Map()));
    messages.set(message, now);
    for (const [id, at] of messages) if (at <= now - this.windowMs) messages.delete(id);
    if (messages.size < this.threshold) return false;
    this.relayState = key;
    this.seen.clear();
    return true;
  }

  /** A mail went through: the relay's state, if any, is over. */
  accepted(): void {
    if (this.relayState === undefined && !this.seen.size) return;
    this.relayState = undefined;
    this.seen.clear();
  }
}

/** The same reply, whatever varies in its text: the code and the enhanced status, else the code and the words. */
function keyOf(reply: string | null): string {
  const text = (reply ?? '').trim();
  const coded = /^(\d{3})[ -](\d\.\d{1,3}\.\d{1,3})?/.exec(text);
  if (coded?.[2]) return `${coded[1]} ${coded[2]}`;
  return text.replace(/[0-9a-f]{6,}|\d+/gi, '#').toLowerCase().slice(0, 80);
}
