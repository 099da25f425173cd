/**
 * A send queue paced by a server-given time window W (big-room messages, relay messages): a message goes at once
 * when the pacing allows it and nothing is queued; otherwise it queues, and timer ticks at random points (the
 * user's `delay`) send the queue's head, `batch` items per tick. While the room reconnects a due tick waits
 * (re-checked every `OFFLINE_RECHECK_MS`). W = 0 sends every message at once.
 */

/** While reconnecting, a due tick is re-checked no more often than this. */
export const OFFLINE_RECHECK_MS = 1000;

export interface WindowedQueuePacing<T> {
  now(): number;
  random(): number;
  /** False while the room is reconnecting. */
  canSend(): boolean;
  /** Items sent per tick. */
  batch: number;
  /** Whether a message may go at once (asked only while nothing is queued). */
  immediate(windowMs: number, now: number): boolean;
  /** Delay to the next tick, for a window of `windowMs` > 0. */
  delay(windowMs: number, now: number, random: number): number;
  /** Called as a tick sends. */
  onTick?(windowMs: number, now: number): void;
  send(items: T[]): void;
}

export class WindowedQueue<T> {
  private windowMs = 0;
  private queue: T[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly pacing: WindowedQueuePacing<T>) {}

  get window(): number {
    return this.windowMs;
  }

  get queued(): number {
    return this.queue.length;
  }

  setWindow(ms: unknown): void {
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) this.windowMs = ms;
  }

  enqueue(item: T): void {
    if (this.queue.length === 0 && this.pacing.immediate(this.windowMs, this.pacing.now())) {
      this.pacing.send([item]);
      return;
    }
    this.queue.push(item);
    if (this.queue.length === 1) this.arm();
  }

  /** Stops the timer, forgets the window and returns what was queued. */
  reset(): T[] {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const dropped = this.queue;
    this.queue = [];
    this.windowMs = 0;
    return dropped;
  }

  private arm(minDelayMs = 0): void {
    if (this.timer !== null) clearTimeout(this.timer);
    const w = this.windowMs;
    const delay = w > 0 ? this.pacing.delay(w, this.pacing.now(), this.pacing.random()) : 0;
    this.timer = setTimeout(() => this.fire(), Math.max(minDelayMs, delay));
  }

  private fire(): void {
    this.timer = null;
    if (this.queue.length === 0) return;
    if (!this.pacing.canSend()) {
      this.arm(OFFLINE_RECHECK_MS);
      return;
    }
    this.pacing.onTick?.(this.windowMs, this.pacing.now());
    this.pacing.send(this.queue.splice(0, this.pacing.batch));
    if (this.queue.length > 0) this.arm();
  }
}

/** `now mod w`, non-negative for any `now`. */
export function phase(now: number, w: number): number {
  return ((now % w) + w) % w;
}
