/**
 * Big-room IM sending (notes §3.1). With a time window W (ms, server `bigim_time_window`) each client sends at
 * most about one `bigim_chat` per window: the first message of a window goes at once if nothing is queued;
 * later ones queue, and a timer fires at a random point inside the NEXT window to send up to 20 of them
 * (spreading a big audience's load over the window). W = 0 sends every message at once.
 */
import { timeoutError, TimeoutMessage, type ZegoError } from '../errors';
import type { BigimChatReq, BigimMsg } from '../wire/types';
import type { CallUser, Request } from './requester';
import { phase, WindowedQueue } from './windowed-queue';

export const BIGIM_MAX_BATCH = 20;

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
  /** The window index the last send went in (one immediate send per window). */
  private lastIdx = -1;
  private clientSeq = 0;
  private readonly q: WindowedQueue<BigRoomMessage>;

  constructor(private readonly deps: BigRoomDeps) {
    this.q = new WindowedQueue<BigRoomMessage>({
      now: () => deps.now(),
      random: () => deps.random(),
      canSend: () => deps.canSend(),
      batch: BIGIM_MAX_BATCH,
      immediate: (w, now) => {
        if (w <= 0) return true;
        const idx = Math.floor(now / w);
        if (this.lastIdx >= idx) return false;
        this.lastIdx = idx;
        return true;
      },
      // A random point of the next window.
      delay: (w, now, random) => w - phase(now, w) + Math.floor(random * w),
      onTick: (w, now) => {
        if (w > 0) this.lastIdx = Math.floor(now / w);
      },
      send: (batch) => this.sendBatch(batch),
    });
  }

  get window(): number {
    return this.q.window;
  }

  get queued(): number {
    return this.q.queued;
  }

  setWindow(ms: unknown): void {
    this.q.setWindow(ms);
  }

  nextClientId(): string {
    this.clientSeq++;
    return String(this.clientSeq);
  }

  enqueue(msg: Omit<BigRoomMessage, 'clientId'>): void {
    this.q.enqueue({ ...msg, clientId: this.nextClientId() });
  }

  /** Drops the queue; returns a function failing the dropped messages' callbacks (call after state settles). */
  reset(): () => void {
    const dropped = this.q.reset();
    this.lastIdx = -1;
    return () => {
      const e = timeoutError(TimeoutMessage.reset);
      for (const m of dropped) this.deps.call('sendBigRoomMessage.error', m.err, e, -1);
    };
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
