import { Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Transactions } from '../../database/transactions';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import type { HeldBack, MailCapState } from '../../users/frequency/mail-cap-state';
import { CapWindows } from './cap-windows';
import type { NewDelivery } from '../outbox/delivery-outbox';

/** A mail the cap held back: its event goes in the summary at the end of the person's window. */
export interface FoldedMail {
  delivery: NewDelivery;
  windowStart: Date;
  windowEnd: Date;
}

/**
 * The mail cap: at most MAIL_CAP_COUNT mails per person per MAIL_CAP_WINDOW_MS.
 * A person's window opens with their first mail after the last one ended; the
 * planner asks, in its transaction, which of the mails it planned may go now
 * (`admit`) and which are folded into the window's summary (the digests'
 * machinery sends it when the window ends: src/notifications/digests/).
 *
 * The count lives in the database (CapWindows), bumped once per batch: each
 * person's row stays locked until the planner's transaction ends, so processes
 * planning for the same person at once count one after the other (PostgreSQL),
 * and SQLite has one writer. A restart forgets nothing.
 */
@Injectable()
export class MailCap implements MailCapState {
  constructor(
    private readonly windows: CapWindows,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  /**
   * Splits planned mails (in event order) into those that go now and those folded
   * into their person's summary, counting them in each person's window. Off (no
   * cap configured): everything goes.
   */
  async admit(manager: EntityManager, deliveries: NewDelivery[]): Promise<{ send: NewDelivery[]; folded: FoldedMail[] }> {
    const cap = this.config.mailCap;
    if (!cap || !deliveries.length) return { send: deliveries, folded: [] };
    const wanted = new Map<string, number>();
    for (const d of deliveries) wanted.set(d.recipientId, (wanted.get(d.recipientId) ?? 0) + 1);
    const start = this.clock.now();
    const end = start + cap.windowMs;
    const windows = new Map<string, { room: number; start: number; end: number }>();
    for (const w of await this.windows.count(manager, wanted, start, end, cap.count)) {
      if (w.mails <= cap.count) continue; // all of this batch's mails fit
      const before = w.mails - wanted.get(w.recipientId)!;
      windows.set(w.recipientId, { room: Math.max(0, cap.count - before), start: w.start, end: w.end });
    }
    const send: NewDelivery[] = [];
    const folded: FoldedMail[] = [];
    for (const d of deliveries) {
      const window = windows.get(d.recipientId); // none: all of the person's mails fit
      if (!window || window.room > 0) {
        if (window) window.room--;
        send.push(d);
      } else {
        folded.push({ delivery: d, windowStart: new Date(window.start), windowEnd: new Date(window.end) });
      }
    }
    if (folded.length && this.metrics) {
      const metrics = this.metrics;
      const count = folded.length;
      this.transactions.afterCommit(manager, () => metrics.capFolded(count));
    }
    return { send, folded };
  }

  /** People whose current window is full: what they would get now is folded (recipientsPreview). */
  async heldBack(recipientIds: string[]): Promise<Map<string, HeldBack>> {
    const cap = this.config.mailCap;
    const held = new Map<string, HeldBack>();
    if (!cap) return held;
    for (const w of await this.windows.current(recipientIds, this.clock.now())) {
      if (w.mails >= cap.count) held.set(w.recipientId, { windowEnd: new Date(w.windowEnd), mails: w.mails, cap: cap.count });
    }
    return held;
  }
}
