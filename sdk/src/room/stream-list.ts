/**
 * Other users' streams in the room, versioned by the server's `stream_seq` (notes §1.3, §7.7). Own streams
 * (anchor_id_name == own idName) are never stored, so they never reach application callbacks. A push is
 * applied only when `local_seq + stream_info.length == stream_seq`; otherwise the caller refetches the full
 * list and diffs it.
 */
import { StreamUpdateCmd, type PushStreamUpdate, type WireStreamInfo } from '../wire/types';

/** The stream object of the API reference (§1.2, §2.5) plus the CDN fields of notes §8.3. */
export interface StreamInfo {
  stream_id: string;
  anchor_id_name: string;
  anchor_nick_name: string;
  extra_info: string;
  stream_gid: string;
  urls_flv: string[];
  urls_rtmp: string[];
  urls_hls: string[];
  urls_https_flv: string[];
  urls_https_hls: string[];
}

export interface StreamDiff {
  added: WireStreamInfo[];
  deleted: WireStreamInfo[];
  changed: WireStreamInfo[];
}

function strArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export function toPublicStream(w: WireStreamInfo): StreamInfo {
  return {
    stream_id: str(w.stream_id),
    anchor_id_name: str(w.anchor_id_name),
    anchor_nick_name: str(w.anchor_nick_name),
    extra_info: str(w.extra_info),
    stream_gid: str(w.stream_gid),
    urls_flv: strArray(w.urls_flv),
    urls_rtmp: strArray(w.urls_rtmp),
    urls_hls: strArray(w.urls_m3u8),
    urls_https_flv: strArray(w.urls_https_flv),
    urls_https_hls: strArray(w.urls_https_m3u8),
  };
}

function validStreams(v: unknown): WireStreamInfo[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (s): s is WireStreamInfo => typeof s === 'object' && s !== null && typeof (s as WireStreamInfo).stream_id === 'string',
  );
}

/** Diff of a stored map against a full list (both without own streams). */
export function diffStreams(old: ReadonlyMap<string, WireStreamInfo>, next: readonly WireStreamInfo[]): StreamDiff {
  const added: WireStreamInfo[] = [];
  const changed: WireStreamInfo[] = [];
  const seen = new Set<string>();
  for (const s of next) {
    seen.add(s.stream_id);
    const prev = old.get(s.stream_id);
    if (prev === undefined) added.push(s);
    else if (str(prev.extra_info) !== str(s.extra_info)) changed.push(s);
  }
  const deleted: WireStreamInfo[] = [];
  for (const [id, s] of old) if (!seen.has(id)) deleted.push(s);
  return { added, deleted, changed };
}

export function isEmptyDiff(d: StreamDiff): boolean {
  return d.added.length === 0 && d.deleted.length === 0 && d.changed.length === 0;
}

export class StreamList {
  private seqValue = 0;
  private streams = new Map<string, WireStreamInfo>();

  constructor(private readonly selfIdName: () => string) {}

  get seq(): number {
    return this.seqValue;
  }

  set seq(v: number) {
    this.seqValue = v;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Current streams of others, in the callback shape. */
  list(): StreamInfo[] {
    return Array.from(this.streams.values(), toPublicStream);
  }

  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

  /** Own streams in a server list (stale at first login, or ours after a reconnect). */
  ownIn(list: unknown): WireStreamInfo[] {
    const me = this.selfIdName();
    return validStreams(list).filter((s) => s.anchor_id_name === me);
  }

  /** Replaces the stored list with a full server list and returns what changed. */
  replace(seq: number, list: unknown): StreamDiff {
    const me = this.selfIdName();
    const others = validStreams(list).filter((s) => s.anchor_id_name !== me);
    const diff = diffStreams(this.streams, others);
    this.streams = new Map(others.map((s) => [s.stream_id, s]));
    this.seqValue = seq;
    return diff;
  }

  /** Applies a push if it is contiguous with the local seq; null means "gap: refetch". */
  applyPush(push: PushStreamUpdate): StreamDiff | null {
    const infos = validStreams(push.stream_info);
    const count = Array.isArray(push.stream_info) ? push.stream_info.length : 0;
    if (this.seqValue + count !== push.stream_seq) return null;
    this.seqValue = push.stream_seq;
    const me = this.selfIdName();
    const diff: StreamDiff = { added: [], deleted: [], changed: [] };
    for (const s of infos) {
      if (s.anchor_id_name === me) continue;
      const prev = this.streams.get(s.stream_id);
      switch (push.stream_cmd) {
        case StreamUpdateCmd.deleted:
          if (prev !== undefined) {
            this.streams.delete(s.stream_id);
            diff.deleted.push(prev);
          }
          break;
        case StreamUpdateCmd.added:
        case StreamUpdateCmd.updated:
          this.streams.set(s.stream_id, s);
          if (prev === undefined) diff.added.push(s);
          else if (str(prev.extra_info) !== str(s.extra_info)) diff.changed.push(s);
          break;
        default:
          break;
      }
    }
    return diff;
  }

  reset(): void {
    this.seqValue = 0;
    this.streams.clear();
  }
}
