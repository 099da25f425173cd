/**
 * Big-room IM sending (notes §3.1). With a time window W (ms, server `bigim_time_window`) each client sends at
 * most about one `bigim_chat` per window: the first message of a window goes at once if nothing is queued;
 * later ones queue, and a timer fires at a random point inside the NEXT window to send up to 20 of them
 * (spreading a big audience's load over the window). W = 0 sends every message at once.
 */
import { timeoutError, TimeoutMessage, type ZegoError } from '../errors';
import type { BigimChatReq, BigimMsg } from '../wire/types';
import type { CallUser, Request } from './requester';

export const BIGIM_MAX_BATCH = 20;
/** While reconnecting, a due batch is re-checked no more often than this. */
export const OFFLINE_RECHECK_MS = 1000;

export interface BigRoomMessage {
  clientId: string;
  category: number;
  type: number;
  content: string;
  ok: unknown;
  err: unknown;
}

export interface BigRoomDeps {
  request: Request;
  call: CallUser;
  /** Server time estimate in ms (windows are aligned on server time). */
  now(): number;
  random(): number;
  /** False while the room is reconnecting: a due batch then waits for the next window. */
  canSend(): boolean;
}

export class BigRoomBatcher {
  private windowMs = 0;
  private lastIdx = -1;
  private queue: BigRoomMessage[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private clientSeq = 0;

  constructor(private readonly deps: BigRoomDeps) {}

  get window(): number {
    return this.windowMs;
  }

  get queued(): number {
    return this.queue.length;
  }

  setWindow(ms: unknown): void {
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) this.windowMs = ms;
  }

  nextClientId(): string {
    this.clientSeq++;
    return String(this.clientSeq);
  }

  enqueue(msg: Omit<BigRoomMessage, 'clientId'>): void {
    const item: BigRoomMessage = { ...msg, clientId: this.nextClientId() };
    const w = this.windowMs;
    if (w <= 0 && this.queue.length === 0) {
      this.sendBatch([item]);
      return;
    }
    if (w > 0) {
      const idx = Math.floor(this.deps.now() / w);
      if (this.lastIdx < idx && this.queue.length === 0) {
        this.lastIdx = idx;
        this.sendBatch([item]);
        return;
      }
    }
    this.queue.push(item);
    if (this.queue.length === 1) this.arm();
  }

  /** Drops the queue; returns a function failing the dropped messages' callbacks (call after state settles). */
  reset(): () => void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const dropped = this.queue;
    this.queue = [];
    this.lastIdx = -1;
    this.windowMs = 0;
    return () => {
      const e = timeoutError(TimeoutMessage.reset);
      for (const m of dropped) this.deps.call('sendBigRoomMessage.error', m.err, e, -1);
    };
  }

  /** Delay until a random point of the next window. */
  private delay(): number {
    const w = this.windowMs;
    if (w <= 0) return 0;
    const now = this.deps.now();
    return w - (((now % w) + w) % w) + Math.floor(this.deps.random() * w);
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
    if (this.windowMs > 0) this.lastIdx = Math.floor(this.deps.now() / this.windowMs);
    const batch = this.queue.splice(0, BIGIM_MAX_BATCH);
    this.sendBatch(batch);
    if (this.queue.length > 0) this.arm();
  }

  private sendBatch(batch: BigRoomMessage[]): void {
    const msgs = batch.map((m): BigimMsg => ({
      msg_category: m.category,
      msg_type: m.type,
      msg_content: m.content,
      bigmsg_client_id: m.clientId,
    }));
    this.deps.request(
      'bigim_chat',
      { msgs } satisfies BigimChatReq,
      {
        ok: (body, seq) => {
          this.setWindow(body.bigim_time_window);
          const ids = new Map<string, string>();
          if (Array.isArray(body.msgs)) {
            for (const r of body.msgs as Array<{ bigmsg_client_id?: unknown; bigmsg_id?: unknown }>) {
              if (r && r.bigmsg_client_id !== undefined) ids.set(String(r.bigmsg_client_id), String(r.bigmsg_id ?? ''));
            }
          }
          for (const m of batch) {
            const id = ids.get(m.clientId);
            if (id !== undefined) this.deps.call('sendBigRoomMessage.success', m.ok, seq, id);
            else {
              const e: ZegoError = { code: 'ZegoClient.Error.Server', msg: 'message not acknowledged.' };
              this.deps.call('sendBigRoomMessage.error', m.err, e, seq);
            }
          }
        },
        fail: (e, seq) => {
          for (const m of batch) this.deps.call('sendBigRoomMessage.error', m.err, e, seq);
        },
      },
    );
  }
}
