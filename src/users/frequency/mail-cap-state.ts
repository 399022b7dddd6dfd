import { Injectable } from '@nestjs/common';

/** A person whose mails are being folded now: their cap window is full. */
export interface HeldBack {
  /** When the window's summary mail leaves. */
  windowEnd: Date;
  /** Mails wanted in the window so far (the first `cap` went). */
  mails: number;
  cap: number;
}

/** Who answers: notifications' mail cap (src/notifications/cap/), which registers itself at start. */
export interface MailCapStateSource {
  heldBack(recipientIds: string[]): Promise<Map<string, HeldBack>>;
}

/**
 * What the mail cap says about people now, for recipientsPreview. Users does not
 * read notifications' tables: the cap, downstream, registers itself here (as
 * notifications subscribes to job-events' ingestion). Without it, nobody is held back.
 */
@Injectable()
export class MailCapState {
  private source?: MailCapStateSource;

  register(source: MailCapStateSource): void {
    this.source = source;
  }

  heldBack(recipientIds: string[]): Promise<Map<string, HeldBack>> {
    return this.source && recipientIds.length ? this.source.heldBack(recipientIds) : Promise.resolve(new Map());
  }
}
