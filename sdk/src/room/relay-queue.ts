/**
 * Relay messages to the business server (notes §3.2). With the quiz window W (server `dati_time_window`) > 0,
 * messages queue and leave one per timer tick, each tick at a random delay in [0, 2W − now mod W) — so a mass
 * of simultaneous answers is spread over up to two windows. W = 0 sends at once.
 */
import { timeoutError, TimeoutMessage } from '../errors';
import type { RelayReq } from '../wire/types';
import type { CallUser, Request } from './requester';
import { phase, WindowedQueue } from './windowed-queue';


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
  private readonly q: WindowedQueue<RelayMessage>;

  constructor(private readonly deps: RelayDeps) {
    this.q = new WindowedQueue<RelayMessage>({
      now: () => deps.now(),
      random: () => deps.random(),
      canSend: () => deps.canSend(),
      batch: 1,
      immediate: (w) => w <= 0,
      // Spread over up to two windows: [0, 2W − now mod W).
      delay: (w, now, random) => Math.floor(random * (2 * w - phase(now, w))),
      send: (items) => items.forEach((m) => this.send(m)),
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

  enqueue(msg: RelayMessage): void {
    this.q.enqueue(msg);
  }

  reset(): () => void {
    const dropped = this.q.reset();
    return () => {
      const e = timeoutError(TimeoutMessage.reset);
      for (const m of dropped) this.deps.call('sendRelayMessage.error', m.err, e, -1);
    };
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
