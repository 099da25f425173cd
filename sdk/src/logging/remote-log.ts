/**
 * Remote log transports (notes §9). A ws:/wss: URL gets a dedicated WebSocket; an http:/https: URL gets batched
 * POSTs. Other schemes mean no remote logging. Transport failures are reported to the console only, never
 * through the logger itself (that would loop).
 */

export interface RemoteLogSink {
  readonly url: string;
  /** Queues or sends one formatted line; `urgent` lines (reports) are flushed at once. */
  push(line: string, urgent: boolean): void;
  stop(): void;
}

/** Lines kept while the log socket is not open; older ones are dropped first. */
export const WS_CACHE_LINES = 100;
/** Frame size when flushing the cache to a freshly opened log socket. */
export const WS_FLUSH_FRAME_CHARS = 4000;
/** A closed log socket is reopened lazily, on a later line, but not more often than this. */
export const WS_RECONNECT_GAP_MS = 5000;
export const HTTP_FLUSH_INTERVAL_MS = 10000;
export const HTTP_FLUSH_LINES = 100;
export const HTTP_MIN_INTERVAL_MS = 1000;

export function createRemoteLogSink(url: string): RemoteLogSink | null {
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  if (scheme === 'ws:' || scheme === 'wss:') return new WebSocketLogSink(url);
  if (scheme === 'http:' || scheme === 'https:') return new HttpLogSink(url);
  return null;
}

/** Joins lines with "\n" into frames of at most `maxChars` (a longer single line goes alone). */
export function packFrames(lines: string[], maxChars: number): string[] {
  const frames: string[] = [];
  let cur = '';
  for (const line of lines) {
    if (cur.length === 0) cur = line;
    else if (cur.length + 1 + line.length <= maxChars) cur += '\n' + line;
    else {
      frames.push(cur);
      cur = line;
    }
  }
  if (cur.length > 0) frames.push(cur);
  return frames;
}

export class WebSocketLogSink implements RemoteLogSink {
  private socket: WebSocket | null = null;
  private cache: string[] = [];
  private lastConnectAt = -Infinity;
  private stopped = false;

  constructor(readonly url: string) {
    this.connect();
  }

  push(line: string, _urgent: boolean): void {
    if (this.stopped) return;
    const s = this.socket;
    if (s !== null && s.readyState === 1) {
      s.send(line);
      return;
    }
    this.cache.push(line);
    if (this.cache.length > WS_CACHE_LINES) this.cache.splice(0, this.cache.length - WS_CACHE_LINES);
    if (s === null && Date.now() - this.lastConnectAt >= WS_RECONNECT_GAP_MS) this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cache = [];
    const s = this.socket;
    this.socket = null;
    if (s !== null) {
      detach(s);
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
  }

  /** Lines waiting for the socket to open (exposed for tests). */
  get cachedLines(): readonly string[] {
    return this.cache;
  }

  private connect(): void {
    this.lastConnectAt = Date.now();
    let s: WebSocket;
    try {
      s = new WebSocket(this.url);
    } catch (e) {
      console.warn('[ZegoClient] remote log socket cannot be created', e);
      return;
    }
    this.socket = s;
    s.onopen = () => {
      if (this.socket !== s) return;
      const lines = this.cache;
      this.cache = [];
      for (const frame of packFrames(lines, WS_FLUSH_FRAME_CHARS)) s.send(frame);
    };
    s.onclose = () => {
      if (this.socket === s) this.socket = null;
    };
    s.onerror = () => {
      /* onclose follows; the next line reopens lazily */
    };
  }
}

function detach(s: WebSocket): void {
  s.onopen = null;
  s.onclose = null;
  s.onerror = null;
  s.onmessage = null;
}

export class HttpLogSink implements RemoteLogSink {
  private cache: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private intervalMs = HTTP_FLUSH_INTERVAL_MS;
  private stopped = false;

  constructor(readonly url: string) {
    this.arm();
  }

  push(line: string, urgent: boolean): void {
    if (this.stopped) return;
    this.cache.push(line);
    if (urgent || this.cache.length >= HTTP_FLUSH_LINES) this.flush();
  }

  stop(): void {
    this.flush();
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  get interval(): number {
    return this.intervalMs;
  }

  private arm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      this.flush();
      this.arm();
    }, this.intervalMs);
  }

  flush(): void {
    if (this.cache.length === 0 || this.stopped) return;
    const body = this.cache.join('\n');
    this.cache = [];
    if (typeof fetch !== 'function') return;
    // text/plain keeps the request "simple" (no CORS preflight); the collector may answer {interval} in ms.
    fetch(this.url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' }, keepalive: body.length < 60000 })
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => {
        if (!text) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return;
        }
        const iv = (parsed as { interval?: unknown }).interval;
        if (typeof iv === 'number' && Number.isFinite(iv) && iv > 0 && iv !== this.intervalMs) {
          this.intervalMs = Math.max(HTTP_MIN_INTERVAL_MS, iv);
          if (!this.stopped) this.arm();
        }
      })
      .catch((e: unknown) => console.warn('[ZegoClient] remote log upload failed', e));
  }
}
