/**
 * Requests waiting for their response, keyed by header seq (notes §1.6). A checker runs every 2 s while logged
 * in; an entry unanswered after 5 s fails with ZegoClient.Error.Timeout. At most 100 entries fail per pass;
 * one that has waited over 10 s by the time a pass reaches it is dropped without a callback.
 */
import { timeoutError, TimeoutMessage, type ZegoError } from '../errors';

export const ACK_TIMEOUT_MS = 5000;
export const ACK_DROP_MS = 10000;
export const ACK_CHECK_INTERVAL_MS = 2000;
export const ACK_MAX_FAILS_PER_PASS = 100;

export interface PendingAck {
  cmd: string;
  sentAt: number;
  onResponse(body: Record<string, unknown>): void;
  onFailure(err: ZegoError): void;
}

export class AckQueue {
  private pending = new Map<number, PendingAck>();
  private checker: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly onInternalError: (e: unknown) => void) {}

  get size(): number {
    return this.pending.size;
  }

  has(seq: number): boolean {
    return this.pending.has(seq);
  }

  add(seq: number, entry: PendingAck): void {
    this.pending.set(seq, entry);
  }

  /** Delivers a response; false if nothing waited for this seq (late or unknown). */
  resolve(seq: number, body: Record<string, unknown>): boolean {
    const entry = this.pending.get(seq);
    if (entry === undefined) return false;
    this.pending.delete(seq);
    this.run(() => entry.onResponse(body));
    return true;
  }

  startChecker(): void {
    this.stopChecker();
    this.checker = setInterval(() => this.check(Date.now()), ACK_CHECK_INTERVAL_MS);
  }

  stopChecker(): void {
    if (this.checker !== null) clearInterval(this.checker);
    this.checker = null;
  }

  /** One checker pass at time `now` (exposed for tests). */
  check(now: number): void {
    const expired: PendingAck[] = [];
    for (const [seq, entry] of this.pending) {
      const age = now - entry.sentAt;
      if (age <= ACK_TIMEOUT_MS) continue;
      if (age > ACK_DROP_MS) {
        this.pending.delete(seq);
        continue;
      }
      if (expired.length >= ACK_MAX_FAILS_PER_PASS) continue;
      this.pending.delete(seq);
      expired.push(entry);
    }
    for (const entry of expired) this.run(() => entry.onFailure(timeoutError(TimeoutMessage.send)));
  }

  /** Removes every entry and returns a function that fails them all (call it once state is consistent). */
  drain(): () => void {
    const entries = Array.from(this.pending.values());
    this.pending.clear();
    return () => {
      for (const entry of entries) this.run(() => entry.onFailure(timeoutError(TimeoutMessage.reset)));
    };
  }

  private run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.onInternalError(e);
    }
  }
}
