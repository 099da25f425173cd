/**
 * Relay messages to the business server (notes §3.2). With the quiz window W (server `dati_time_window`) > 0,
 * messages queue and leave one per timer tick, each tick at a random delay in [0, 2W − now mod W) — so a mass
 * of simultaneous answers is spread over up to two windows. W = 0 sends at once.
 */
import { timeoutError, TimeoutMessage } from '../errors';
import type { RelayReq } from '../wire/types';
import type { CallUser, Request } from './requester';

/** While reconnecting, a due message is re-checked no more often than this. */
export const OFFLINE_RECHECK_MS = 1000;

export interface RelayMessage {
  type: string;
  data: string;
  ok: unknown;
  err: unknown;
}

export interface RelayDeps {
  request: Request;
  call: CallUser;
  now(): number;
  random(): number;
  canSend(): boolean;
}

export class RelayQueue {
  private windowMs = 0;
  private queue: RelayMessage[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: RelayDeps) {}

  get window(): number {
    return this.windowMs;
  }

  get queued(): number {
    return this.queue.length;
  }

  setWindow(ms: unknown): void {
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) this.windowMs = ms;
  }

  enqueue(msg: RelayMessage): void {
    if (this.windowMs <= 0 && this.queue.length === 0) {
      this.send(msg);
      return;
    }
    this.queue.push(msg);
    if (this.queue.length === 1) this.arm();
  }

  reset(): () => void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const dropped = this.queue;
    this.queue = [];
    this.windowMs = 0;
    return () => {
      const e = timeoutError(TimeoutMessage.reset);
      for (const m of dropped) this.deps.call('sendRelayMessage.error', m.err, e, -1);
    };
  }

  private delay(): number {
    const w = this.windowMs;
    if (w <= 0) return 0;
    const now = this.deps.now();
    return Math.floor(this.deps.random() * (2 * w - (((now % w) + w) % w)));
  }

  private arm(minDelayMs = 0): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), Math.max(minDelayMs, this.delay()));
  }

  private fire(): void {
    this.timer = null;
    if (this.queue.length === 0) return;
    if (!this.deps.canSend()) {
      this.arm(OFFLINE_RECHECK_MS);
      return;
    }
    const head = this.queue.shift() as RelayMessage;
    this.send(head);
    if (this.queue.length > 0) this.arm();
  }

  private send(m: RelayMessage): void {
    this.deps.request(
      'relay',
      { relay_type: m.type, relay_data: m.data } satisfies RelayReq,
      {
        ok: (body, seq) => this.deps.call('sendRelayMessage.success', m.ok, seq, body.relay_result),
        fail: (e, seq) => this.deps.call('sendRelayMessage.error', m.err, e, seq),
      },
    );
  }
}
