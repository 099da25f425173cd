/**
 * The media-signalling WebSocket (notes §7.2): one per signal URL, shared by every publish and play session on
 * it. Frames are `{header:{version, cmd, appid (string), seq, user_id (idName), session_id (number)}, body}`.
 * On open the connection logs in (`LoginReq` with the room login token); requests (`XxxReq`) are answered
 * (`XxxRsp`, same seq, `result` 0 = ok) within 5 s or fail with a timeout; server pushes go to the session they
 * name and are acknowledged (`XxxAck`) when the protocol says so. `ClientHBReq {session_ids}` runs every
 * `hb_interval` (10 s) while sessions exist; more than 5 missed heartbeats drop the socket. A connection closes
 * itself when its last user releases it. Connecting makes up to 3 tries, ~3 s apart (jittered). The messages are
 * typed by command in ../wire/media.ts (generated from crates/proto/src/media.rs): requests, notifications and pushes
 * of another command or body do not compile, and only the protocol's pushes reach a session.
 */
import { centredJitter, type Random } from '../backoff';
import type { Logger } from '../logging/logger';
import {
  MEDIA_PROTOCOL_VERSION,
  MEDIA_PUSH_ACKED,
  isMediaPushCmd,
  type ClientHbRsp,
  type MediaHeader,
  type MediaNotifications,
  type MediaNotifyCmd,
  type MediaPush,
  type MediaRequestCmd,
  type MediaRequests,
  type ResultRsp,
} from '../wire/media';

export { MEDIA_PROTOCOL_VERSION };
export const SIGNAL_REQUEST_TIMEOUT_MS = 5000;
export const SIGNAL_HB_INTERVAL_MS = 10000;
export const SIGNAL_HB_MAX_MISSES = 5;
/** Connection attempts of one connect. */
export const SIGNAL_CONNECT_TRIES = 3;
/**
 * Wait between them: 3 s on average, random in [1.5 s, 4.5 s) (centredJitter, backoff.ts), so that the clients of
 * a media server that went away do not all reconnect in the same millisecond.
 */
export const SIGNAL_CONNECT_RETRY_MS = 3000;

export interface SignalIdentity {
  readonly appid: number;
  readonly idName: string;
  /** LoginReq body fields known when connecting: room token, room id, anchor id. */
  login(): { token: string; roomid: string; anchorname: string };
  sdkVersion: string;
}

/**
 * How a request ended: its accepted answer (`R`, result 0), or a refusal (`result` ≠ 0, body `{result, strError}`),
 * a timeout or the socket's loss. Bodies are the server's JSON as received: the types say what the protocol sends,
 * and readers still check a value before they rely on it.
 */
export type RequestResult<R = unknown> =
  | { ok: true; body: R }
  | { ok: false; why: 'timeout' | 'closed' | 'result'; result?: number; body?: ResultRsp };

/** The answer a request of command `C` gets. */
export type RequestResultOf<C extends MediaRequestCmd> = RequestResult<MediaRequests[C]['rsp']>;

/** A session's view of its connection: pushes for its session id, and the loss of the socket. */
export interface SessionListener {
  onPush(push: MediaPush): void;
  onSocketClosed(): void;
}

type ReadyWaiter = (err: null | 'token' | 'socket') => void;

interface Pending {
  cmd: MediaRequestCmd;
  timer: ReturnType<typeof setTimeout>;
  done(r: RequestResult): void;
}

export class SignalConnection {
  state: 'connecting' | 'login' | 'ready' | 'closed' = 'connecting';
  private socket: WebSocket | null = null;
  private pending = new Map<number, Pending>();
  private sessions = new Map<number, SessionListener>();
  private waiters: ReadyWaiter[] = [];
  private users = 0;
  private tries = 0;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private hbTimer: ReturnType<typeof setTimeout> | null = null;
  private hbInterval = SIGNAL_HB_INTERVAL_MS;
  private hbMisses = 0;
  /** Set by the pool: forget this connection once it is closed. */
  onClosed: () => void = () => undefined;

  constructor(
    readonly url: string,
    private readonly id: SignalIdentity,
    private readonly log: Logger,
    private readonly nextSeq: () => number,
    private readonly random: Random = Math.random,
  ) {
    this.connect();
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  acquire(): void {
    this.users++;
  }

  /** A user is done with the connection; the last one closes it. */
  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0) this.close('no users');
  }

  /** Calls `cb(null)` once logged in, or `cb('token' | 'socket')` when that fails. */
  whenReady(cb: ReadyWaiter): void {
    if (this.state === 'ready') cb(null);
    else if (this.state === 'closed') cb('socket');
    else this.waiters.push(cb);
  }

  attach(sessionId: number, l: SessionListener): void {
    this.sessions.set(sessionId, l);
    this.scheduleHeartbeat();
  }

  detach(sessionId: number): void {
    this.sessions.delete(sessionId);
  }

  /** Sends a request; `done` gets the answer (result 0), a refusal, a timeout or the socket's loss. */
  request<C extends MediaRequestCmd>(cmd: C, sessionId: number, body: MediaRequests[C]['req'], done: (r: RequestResultOf<C>) => void): void {
    if (this.state === 'closed' || this.socket === null || this.socket.readyState !== 1) {
      setTimeout(() => done({ ok: false, why: 'closed' }), 0);
      return;
    }
    const seq = this.send(cmd, sessionId, body);
    const timer = setTimeout(() => {
      if (this.pending.delete(seq)) done({ ok: false, why: 'timeout' });
    }, SIGNAL_REQUEST_TIMEOUT_MS);
    this.pending.set(seq, { cmd, timer, done });
  }

  /** A notification without answer (StreamStatusNotify, BroadcasterStatusNotify). */
  notify<C extends MediaNotifyCmd>(cmd: C, sessionId: number, body: MediaNotifications[C]): void {
    if (this.socket !== null && this.socket.readyState === 1) this.send(cmd, sessionId, body);
  }

  close(why: string): void {
    if (this.state === 'closed') return;
    this.log.info(`zm.signal.close ${this.url}: ${why}`);
    this.state = 'closed';
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.hbTimer !== null) clearTimeout(this.hbTimer);
    this.connectTimer = null;
    this.hbTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s !== null) {
      s.onopen = s.onclose = s.onerror = s.onmessage = null;
      try {
        s.close();
      } catch {
        /* never connected */
      }
    }
    const pending = Array.from(this.pending.values());
    this.pending.clear();
    const waiters = this.waiters.splice(0);
    const sessions = Array.from(this.sessions.values());
    this.sessions.clear();
    this.onClosed();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.done({ ok: false, why: 'closed' });
    }
    for (const w of waiters) w('socket');
    for (const l of sessions) l.onSocketClosed();
  }

  // ------------------------------------------------------------------ internals

  private send(cmd: string, sessionId: number, body: object): number {
    const seq = this.nextSeq();
    const header = {
      version: MEDIA_PROTOCOL_VERSION,
      cmd,
      appid: String(this.id.appid),
      seq,
      user_id: this.id.idName,
      session_id: sessionId,
    } satisfies MediaHeader;
    this.log.debug(`zm.signal.send ${cmd} seq=${seq} session=${sessionId}`);
    (this.socket as WebSocket).send(JSON.stringify({ header, body }));
    return seq;
  }

  private connect(): void {
    this.tries++;
    this.state = 'connecting';
    let s: WebSocket;
    try {
      s = new WebSocket(this.url);
    } catch (e) {
      this.log.error(`zm.signal.connect bad URL ${this.url}: ${String(e)}`);
      this.close('bad URL');
      return;
    }
    this.socket = s;
    s.onopen = () => {
      if (this.socket !== s) return;
      this.state = 'login';
      this.sendLogin();
    };
    s.onerror = () => undefined;
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.onSocketClose();
    };
    s.onmessage = (ev: MessageEvent) => {
      if (this.socket === s) this.onMessage(typeof ev.data === 'string' ? ev.data : '');
    };
  }

  private onSocketClose(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    const pending = Array.from(this.pending.values());
    this.pending.clear();
    for (const p of pending) p.done({ ok: false, why: 'closed' });
    if (this.state !== 'ready' && this.state !== 'closed' && this.tries < SIGNAL_CONNECT_TRIES) {
      const delay = centredJitter(SIGNAL_CONNECT_RETRY_MS, this.random);
      this.log.warn(`zm.signal.connect ${this.url} failed (try ${this.tries}); again in ${delay} ms`);
      this.state = 'connecting';
      this.connectTimer = setTimeout(() => {
        this.connectTimer = null;
        if (this.state === 'connecting') this.connect();
      }, delay);
      return;
    }
    this.close(this.state === 'ready' ? 'socket closed' : 'cannot connect');
  }

  private sendLogin(): void {
    const l = this.id.login();
    const osinfo = typeof navigator !== 'undefined' && typeof navigator.userAgent === 'string' ? navigator.userAgent : '';
    this.request(
      'LoginReq',
      0,
      { token: l.token, tokenType: 0, roomid: l.roomid, anchorname: l.anchorname, sdkversion: this.id.sdkVersion, osinfo },
      (r) => {
        if (this.state !== 'login') return;
        if (r.ok) {
          this.state = 'ready';
          this.tries = 0;
          this.log.info(`zm.signal.login ok ${this.url}`);
          for (const w of this.waiters.splice(0)) w(null);
          this.scheduleHeartbeat();
          return;
        }
        if (r.why === 'result') {
          this.log.error(`zm.signal.login refused result=${String(r.result)} ${String(r.body && r.body.strError)}`);
          const waiters = this.waiters.splice(0);
          this.close('login refused');
          for (const w of waiters) w('token');
          return;
        }
        // Timed out (or the socket went): count it as a failed connection attempt.
        if (r.why === 'timeout' && this.socket !== null) {
          const s = this.socket;
          this.socket = null;
          s.onopen = s.onclose = s.onerror = s.onmessage = null;
          try {
            s.close();
          } catch {
            /* ignore */
          }
          this.onSocketClose();
        }
      },
    );
  }

  private onMessage(text: string): void {
    let f: { header?: { [K in keyof MediaHeader]?: unknown }; body?: unknown };
    try {
      f = JSON.parse(text) as typeof f;
    } catch {
      this.log.warn(`zm.signal.frame unparsable: ${text.slice(0, 200)}`);
      return;
    }
    const h = f && typeof f.header === 'object' && f.header !== null ? f.header : null;
    if (h === null || typeof h.cmd !== 'string') return;
    if (String(h.appid) !== String(this.id.appid) || h.user_id !== this.id.idName) {
      this.log.debug(`zm.signal.drop ${h.cmd}: not for this user`);
      return;
    }
    const body = typeof f.body === 'object' && f.body !== null ? (f.body as Record<string, unknown>) : {};
    const cmd = h.cmd;
    const seq = typeof h.seq === 'number' ? h.seq : -1;
    const sid = typeof h.session_id === 'number' ? h.session_id : Number(h.session_id) || 0;
    this.log.debug(`zm.signal.recv ${cmd} seq=${seq} session=${sid}`);
    if (cmd.endsWith('Rsp')) {
      const p = this.pending.get(seq);
      if (p === undefined) return;
      this.pending.delete(seq);
      clearTimeout(p.timer);
      const result = typeof body.result === 'number' ? body.result : 0;
      // The answer's body as the server sent it, typed by the request's command (MediaRequests).
      p.done(result === 0 ? { ok: true, body } : { ok: false, why: 'result', result, body: body as unknown as ResultRsp });
      return;
    }
    if (!isMediaPushCmd(cmd)) {
      this.log.debug(`zm.signal.push ${cmd} is not a push of this protocol; ignored`);
      return;
    }
    if (MEDIA_PUSH_ACKED[cmd] && this.socket !== null && this.socket.readyState === 1) {
      const ackHeader = {
        version: MEDIA_PROTOCOL_VERSION,
        cmd: cmd.replace('Push', 'Ack'),
        appid: String(this.id.appid),
        seq,
        user_id: this.id.idName,
        session_id: sid,
      } satisfies MediaHeader;
      this.socket.send(JSON.stringify({ header: ackHeader, body: { result: 0 } satisfies ResultRsp }));
    }
    // The push's body as the server sent it, typed by its command (MediaPushes).
    const push = { cmd, body } as unknown as MediaPush;
    if (push.cmd === 'SessionResetPush') {
      const all = push.body.cResetType !== 1;
      const ids = Array.isArray(push.body.session_ids) ? (push.body.session_ids as unknown[]).map(Number) : [];
      for (const [id, l] of Array.from(this.sessions)) if (all || ids.includes(id)) l.onPush(push);
      return;
    }
    const l = this.sessions.get(sid);
    if (l !== undefined) l.onPush(push);
    else this.log.debug(`zm.signal.push ${cmd} for unknown session ${sid}`);
  }

  private scheduleHeartbeat(): void {
    if (this.hbTimer !== null || this.state !== 'ready' || this.sessions.size === 0) return;
    this.hbTimer = setTimeout(() => {
      this.hbTimer = null;
      this.heartbeat();
    }, this.hbInterval);
  }

  private heartbeat(): void {
    if (this.state !== 'ready' || this.sessions.size === 0) return;
    this.request('ClientHBReq', 0, { session_ids: Array.from(this.sessions.keys()) }, (r) => {
      if (r.ok || r.why === 'result') {
        this.hbMisses = 0;
        // A refusal carries no interval; an answer of another server might still.
        const b: Partial<ClientHbRsp> | undefined = r.body;
        const iv = b && b.hb_interval;
        if (typeof iv === 'number' && iv >= 1000) this.hbInterval = iv;
      } else if (r.why === 'timeout') {
        this.hbMisses++;
        if (this.hbMisses > SIGNAL_HB_MAX_MISSES) {
          this.log.error(`zm.signal.hb ${this.hbMisses} heartbeats unanswered; dropping ${this.url}`);
          this.close('heartbeat timeout');
        }
      }
    });
    this.scheduleHeartbeat();
  }
}

/** Media-signalling connections by URL (one per URL, shared). */
export class SignalPool {
  private conns = new Map<string, SignalConnection>();
  private seq = 0;

  constructor(
    private readonly id: SignalIdentity,
    private readonly log: Logger,
    private readonly random: Random = Math.random,
  ) {}

  /** URLs with a live (logged-in) connection: the `signals` of a dispatch request. */
  connectedUrls(): string[] {
    return Array.from(this.conns.values())
      .filter((c) => c.isReady)
      .map((c) => c.url);
  }

  /** The connection to `url` (opened if needed), counted as used until `release()`. */
  acquire(url: string): SignalConnection {
    let c = this.conns.get(url);
    if (c === undefined || c.state === 'closed') {
      const conn = new SignalConnection(url, this.id, this.log, () => ++this.seq, this.random);
      conn.onClosed = () => {
        if (this.conns.get(url) === conn) this.conns.delete(url);
      };
      if (conn.state !== 'closed') this.conns.set(url, conn);
      c = conn;
    }
    c.acquire();
    return c;
  }

  closeAll(): void {
    for (const c of Array.from(this.conns.values())) c.close('reset');
    this.conns.clear();
  }
}
