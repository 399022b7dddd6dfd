import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { ChannelsChangedEvent } from '../../channels/delivery-channel.port';
import { Clock } from '../../clock/clock';

/**
 * Each target's own pace, in this process: one request at a time per target, at
 * least its kind's interval between two (Slack allows about one message a second
 * per webhook), and no request before a 429's Retry-After has passed. A target
 * that may not send now makes only its own delivery wait (no attempt spent); the
 * channels are told to look again when it may (ChannelsChangedEvent), so a slow or
 * dead target never holds back mail or other targets.
 */
@Injectable()
export class TargetPacing {
  private readonly targets = new Map<number, { busy: boolean; nextAt: number }>();
  /** When a wake-up is already planned (one timer for many targets waiting for the same moment). */
  private readonly wakes = new Set<number>();

  constructor(
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
  ) {}

  /** Takes the target's turn; or says until when it must wait (and plans a look then). */
  take(targetId: number): { waitUntil: number; busy: boolean } | undefined {
    const state = this.targets.get(targetId) ?? { busy: false, nextAt: 0 };
    this.targets.set(targetId, state);
    const now = this.clock.now();
    if (!state.busy && now >= state.nextAt) {
      state.busy = true;
      return undefined;
    }
    // Busy: its request ends within the timeout; look again a second from now.
    const waitUntil = state.busy ? Math.max(state.nextAt, now + 1000) : state.nextAt;
    this.wakeAt(waitUntil);
    return { waitUntil, busy: state.busy };
  }

  /** Its request ended: the next one no sooner than `intervalMs` from now. */
  done(targetId: number, intervalMs: number): void {
    const state = this.targets.get(targetId);
    if (!state) return;
    state.busy = false;
    state.nextAt = Math.max(state.nextAt, this.clock.now() + intervalMs);
  }

  /** It asked to slow down (429): nothing before `until`. */
  slowDown(targetId: number, until: number): void {
    const state = this.targets.get(targetId) ?? { busy: false, nextAt: 0 };
    state.nextAt = Math.max(state.nextAt, until);
    this.targets.set(targetId, state);
    this.wakeAt(until);
  }

  /** Forgets a target (removed). */
  forget(targetId: number): void {
    this.targets.delete(targetId);
  }

  private wakeAt(at: number): void {
    const second = Math.ceil(at / 1000) * 1000;
    if (this.wakes.has(second)) return;
    this.wakes.add(second);
    void this.clock.sleep(Math.max(0, second - this.clock.now())).then(() => {
      this.wakes.delete(second);
      void this.events.emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    });
  }
}
