/**
 * An in-process stand-in for the room server, for unit tests only (browser tests use the real server).
 * FakeWebSocket replaces the global WebSocket; FakeRoomServer answers frames with scripted bodies after a
 * 1 ms delay (advance fake timers to deliver).
 */
export interface Frame {
  header: Record<string, unknown> & { cmd: string; seq: number };
  body: Record<string, unknown>;
}

export class FakeWebSocket {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  readonly sent: Frame[] = [];
  /** Every text frame as sent (log sockets send non-JSON batches). */
  readonly raw: string[] = [];
  /** When the client created it (fake time). */
  readonly openedAt = Date.now();

  constructor(readonly url: string) {
    FakeRoomServer.current.onConnect(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.raw.push(data);
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object' || !frame.header) return;
    this.sent.push(frame);
    FakeRoomServer.current.onFrame(this, frame);
  }

  close(): void {
    this.readyState = 3;
  }

  // ---- server side
  accept(): void {
    this.readyState = 1;
    if (this.onopen) this.onopen({});
  }

  drop(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    if (this.onclose) this.onclose({});
  }

  deliver(obj: unknown): void {
    if (this.readyState === 1 && this.onmessage) this.onmessage({ data: JSON.stringify(obj) });
  }
}

export type Handler = (frame: Frame, sock: FakeWebSocket) => Record<string, unknown> | null | undefined;

export interface Session {
  appid: number;
  user_id: string;
  session_id: string;
  room_id: string;
}

export class FakeRoomServer {
  static current: FakeRoomServer;

  readonly sockets: FakeWebSocket[] = [];
  readonly frames: Frame[] = [];
  /** URLs that refuse connections (the socket closes right away). */
  readonly down = new Set<string>();
  handlers: Record<string, Handler> = {};
  session: Session = { appid: 0, user_id: '', session_id: '', room_id: '' };
  private nextSession = 100;

  constructor() {
    FakeRoomServer.current = this;
    (globalThis as unknown as { WebSocket: unknown }).WebSocket = FakeWebSocket;
    this.handlers = {
      login: (f) => this.loginOk(f),
      hb: () => this.hbBody(),
      logout: () => ({ err_code: 0 }),
    };
  }

  /** Default successful login body (override fields with `extra`). */
  loginOk(f: Frame, extra: Record<string, unknown> = {}): Record<string, unknown> {
    this.nextSession++;
    this.session = {
      appid: f.header.appid as number,
      user_id: `u${this.nextSession}`,
      session_id: `s${this.nextSession}`,
      room_id: f.header.room_id as string,
    };
    return {
      err_code: 0,
      user_id: this.session.user_id,
      session_id: this.session.session_id,
      hearbeat_interval: 30000,
      hearbeat_timeout: 100000,
      server_user_seq: 0,
      stream_seq: 0,
      stream_info: [],
      config_info: { log_level: 0, log_url: '' },
      online_count: 1,
      ret_timestamp: String(Date.now()),
      bigim_time_window: 0,
      dati_time_window: 0,
      anchor_info: { anchor_id: '', anchor_id_name: '', anchor_nick_name: '' },
      ...extra,
    };
  }

  hbBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      err_code: 0,
      hearbeat_interval: 30000,
      stream_seq: 0,
      server_user_seq: 0,
      online_count: 0,
      bigim_time_window: 0,
      dati_time_window: 0,
      trans_seqs: [],
      ...extra,
    };
  }

  onConnect(sock: FakeWebSocket): void {
    this.sockets.push(sock);
    setTimeout(() => {
      if (this.down.has(sock.url)) sock.drop();
      else if (sock.readyState === 0) sock.accept();
    }, 1);
  }

  onFrame(sock: FakeWebSocket, frame: Frame): void {
    this.frames.push(frame);
    const h = this.handlers[frame.header.cmd];
    if (!h) return;
    const body = h(frame, sock);
    if (body === null || body === undefined) return;
    const header = this.rspHeader(frame.header.cmd, frame.header.seq);
    setTimeout(() => sock.deliver({ header, body }), 1);
  }

  rspHeader(cmd: string, seq: number): Record<string, unknown> {
    return { protocol: 'rsp', cmd, seq, ...this.session };
  }

  /** Sends a push to the latest socket, addressed to the current session. */
  push(cmd: string, body: Record<string, unknown>): void {
    this.last.deliver({ header: { protocol: 'push', cmd, push_seq: 1, from_user_id: '', qos_flag: 0, ...this.session }, body });
  }

  get last(): FakeWebSocket {
    return this.sockets[this.sockets.length - 1];
  }

  sentOf(cmd: string): Frame[] {
    return this.frames.filter((f) => f.header.cmd === cmd);
  }
}
