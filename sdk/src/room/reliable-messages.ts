/**
 * Reliable ("trans") messages (notes §4): latest value per type with a room-wide rising seq. The client keeps
 * `type → last seq seen`; every heartbeat lists the server's seqs, and any type whose seq differs is fetched
 * with `trans_fetch`, so late joiners and reconnecting clients get the latest message of each changed type.
 */
import type { Logger } from '../logging/logger';
import type { PushTrans, TransFetchReq, TransFetchResult, TransReq, TransSeqChannel, TransSeqEntry } from '../wire/types';
import type { CallUser, Request } from './requester';

export const TRANS_CHANNEL = 'clt';

export interface ReliableDeps {
  request: Request;
  log: Logger;
  call: CallUser;
  selfIdName(): string;
  emit(type: string, seq: number, data: string): void;
}

function isEntry(v: unknown): v is TransSeqEntry {
  return typeof v === 'object' && v !== null && typeof (v as TransSeqEntry).trans_type === 'string' &&
    typeof (v as TransSeqEntry).trans_seq === 'number';
}

/** Normalises heartbeat `trans_seqs` (per-channel, or the flat 1.0.3 list) to channel → entries. */
export function channelsOf(transSeqs: unknown): Map<string, TransSeqEntry[]> {
  const out = new Map<string, TransSeqEntry[]>();
  if (!Array.isArray(transSeqs)) return out;
  for (const item of transSeqs) {
    if (isEntry(item)) {
      const list = out.get(TRANS_CHANNEL) ?? [];
      list.push(item);
      out.set(TRANS_CHANNEL, list);
    } else if (typeof item === 'object' && item !== null) {
      const ch = item as TransSeqChannel;
      const name = typeof ch.trans_channel === 'string' ? ch.trans_channel : TRANS_CHANNEL;
      const list = out.get(name) ?? [];
      if (Array.isArray(ch.trans_seq_array)) for (const e of ch.trans_seq_array) if (isEntry(e)) list.push(e);
      out.set(name, list);
    }
  }
  return out;
}

export class ReliableMessages {
  private seqs = new Map<string, number>();
  private fetching = new Set<string>();
  private generation = 0;

  constructor(private readonly deps: ReliableDeps) {}

  localSeq(type: string): number {
    return this.seqs.get(type) ?? 0;
  }

  send(type: string, data: string, ok: unknown, err: unknown): number {
    return this.deps.request(
      'trans',
      { trans_type: type, trans_data: data, trans_local_seq: this.localSeq(type), trans_channel: TRANS_CHANNEL } satisfies TransReq,
      {
        ok: (body, seq) => {
          if (typeof body.trans_seq === 'number') this.seqs.set(type, body.trans_seq);
          this.deps.call('sendReliableMessage.success', ok, seq);
        },
        fail: (e, seq) => this.deps.call('sendReliableMessage.error', err, e, seq),
      },
    );
  }

  onPush(push: PushTrans): void {
    if (typeof push.trans_type !== 'string' || typeof push.trans_seq !== 'number') return;
    this.deliver(push.trans_type, push.trans_seq, push.trans_data, push.trans_user_idname);
  }

  /** Heartbeat seqs: fetch every type whose server seq differs from ours. */
  onHeartbeat(transSeqs: unknown): void {
    for (const [channel, entries] of channelsOf(transSeqs)) {
      if (this.fetching.has(channel)) continue;
      const stale = entries.filter((e) => e.trans_seq !== this.localSeq(e.trans_type));
      if (stale.length === 0) continue;
      this.fetching.add(channel);
      const gen = this.generation;
      const fetchArray = stale.map((e) => ({ trans_type: e.trans_type, trans_seq: this.localSeq(e.trans_type) }));
      this.deps.log.debug(`zc.trans.fetch channel=${channel} types=${stale.map((e) => e.trans_type).join(',')}`);
      this.deps.request(
        'trans_fetch',
        { trans_channel: channel, fetch_array: fetchArray } satisfies TransFetchReq,
        {
          ok: (body) => {
            if (gen !== this.generation) return;
            this.fetching.delete(channel);
            // Older servers named the sender `trans_idname`.
            const results = Array.isArray(body.trans_fetch_results)
              ? (body.trans_fetch_results as Array<TransFetchResult & { trans_idname?: string }>)
              : [];
            for (const r of results) {
              if (typeof r.trans_type !== 'string' || typeof r.trans_seq !== 'number') continue;
              this.deliver(r.trans_type, r.trans_seq, r.trans_data, r.trans_user_idname ?? r.trans_idname);
            }
          },
          fail: (e) => {
            if (gen !== this.generation) return;
            this.fetching.delete(channel);
            this.deps.log.warn(`zc.trans.fetch failed ${e.code} ${e.msg}`);
          },
        },
      );
    }
  }

  reset(): void {
    this.generation++;
    this.seqs.clear();
    this.fetching.clear();
  }

  /**
   * Records a message and reports it unless we sent it or already know that seq. Any other seq counts as new,
   * lower ones included: one connection delivers in order, so a lower seq means the server restarted and its
   * counters began again.
   */
  private deliver(type: string, seq: number, data: unknown, from: unknown): void {
    if (this.seqs.get(type) === seq) return;
    this.seqs.set(type, seq);
    if (from === this.deps.selfIdName()) return;
    this.deps.emit(type, seq, typeof data === 'string' ? data : String(data ?? ''));
  }
}
