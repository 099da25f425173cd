/**
 * Fakes for media unit tests: RTCPeerConnection, MediaStream, a media element, and a media-signalling server
 * living in the FakeRoomServer (its sockets serve both the room and `/media` URLs).
 */
import type { FakeRoomServer, FakeWebSocket, Frame } from './fake-server';

export const MEDIA_URL = 'ws://media.test/media';

export class FakeTrack {
  enabled = true;
  readyState = 'live';
  constructor(
    readonly kind: 'audio' | 'video',
    readonly id = `${kind}-${Math.random().toString(36).slice(2, 8)}`,
  ) {}
  stop(): void {
    this.readyState = 'ended';
  }
}

export class FakeMediaStream {
  tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) {
    this.tracks = tracks.slice();
  }
  getTracks(): FakeTrack[] {
    return this.tracks.slice();
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  addTrack(t: FakeTrack): void {
    this.tracks.push(t);
  }
  removeTrack(t: FakeTrack): void {
    this.tracks = this.tracks.filter((x) => x !== t);
  }
}

export class FakeElement {
  srcObject: unknown = null;
  videoWidth = 0;
  videoHeight = 0;
  muted = false;
  sinkId = '';
  private listeners = new Map<string, Set<() => void>>();
  play(): Promise<void> {
    return Promise.resolve();
  }
  setSinkId(id: string): Promise<void> {
    this.sinkId = id;
    return Promise.resolve();
  }
  addEventListener(name: string, fn: () => void): void {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name)!.add(fn);
  }
  removeEventListener(name: string, fn: () => void): void {
    this.listeners.get(name)?.delete(fn);
  }
  fire(name: string): void {
    for (const fn of this.listeners.get(name) ?? []) fn();
  }
}

const OFFER_SDP = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendrecv',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 102',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendrecv',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 packetization-mode=1;profile-level-id=42e01f',
  '',
].join('\r\n');

interface FakeTransceiver {
  direction: string;
  sender: { track: FakeTrack | null; replaceTrack(t: FakeTrack): Promise<void> };
  receiver: { track: FakeTrack };
}

export class FakePeerConnection {
  static all: FakePeerConnection[] = [];
  connectionState = 'new';
  iceConnectionState = 'new';
  onicecandidate: ((e: { candidate: unknown }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  ontrack: ((e: { track: FakeTrack; streams: unknown[] }) => void) | null = null;
  localDescription: unknown = null;
  remoteDescription: unknown = null;
  transceivers: FakeTransceiver[] = [];
  closed = false;
  remoteCandidates: unknown[] = [];

  constructor(public config: Record<string, unknown>) {
    FakePeerConnection.all.push(this);
  }
  static get last(): FakePeerConnection {
    return FakePeerConnection.all[FakePeerConnection.all.length - 1];
  }
  getConfiguration(): Record<string, unknown> {
    return this.config;
  }
  setConfiguration(c: Record<string, unknown>): void {
    this.config = c;
  }
  addTransceiver(trackOrKind: FakeTrack | 'audio' | 'video', init: { direction: string }): FakeTransceiver {
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const t: FakeTransceiver = {
      direction: init.direction,
      sender: {
        track: typeof trackOrKind === 'string' ? null : trackOrKind,
        replaceTrack(nt: FakeTrack) {
          this.track = nt;
          return Promise.resolve();
        },
      },
      receiver: { track: new FakeTrack(kind) },
    };
    this.transceivers.push(t);
    return t;
  }
  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }
  getSenders(): FakeTransceiver['sender'][] {
    return this.transceivers.map((t) => t.sender);
  }
  createOffer(): Promise<{ type: string; sdp: string }> {
    return Promise.resolve({ type: 'offer', sdp: OFFER_SDP });
  }
  setLocalDescription(d: unknown): Promise<void> {
    this.localDescription = d;
    setTimeout(() => {
      if (!this.closed) this.onicecandidate?.({ candidate: { candidate: 'candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    }, 1);
    return Promise.resolve();
  }
  setRemoteDescription(d: unknown): Promise<void> {
    this.remoteDescription = d;
    return Promise.resolve();
  }
  addIceCandidate(c: unknown): Promise<void> {
    this.remoteCandidates.push(c);
    return Promise.resolve();
  }
  getStats(): Promise<Map<string, unknown>> {
    return Promise.resolve(new Map());
  }
  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
  }
  /** The transport changes state (fires the handlers as the browser would). */
  setState(s: 'connected' | 'disconnected' | 'failed' | 'closed'): void {
    this.connectionState = s;
    this.iceConnectionState = s;
    this.oniceconnectionstatechange?.();
    this.onconnectionstatechange?.();
  }
  /** Delivers remote tracks (players). */
  deliverTracks(): void {
    for (const t of this.transceivers) this.ontrack?.({ track: t.receiver.track, streams: [] });
  }
}

/** Installs the fakes as globals. */
export function installFakeRtc(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  FakePeerConnection.all = [];
  g.RTCPeerConnection = FakePeerConnection;
  g.MediaStream = FakeMediaStream;
}

export interface MediaServerOptions {
  /** Answer MediaDescReq with an answer push (default true). */
  answer: boolean;
  /** Answer CreateSessionReq (default true). */
  createSession: boolean;
  /** CreateSessionRsp result. */
  sessionResult: number;
  /** Extra CreateSessionRsp fields (TURN). */
  sessionExtra: Record<string, unknown>;
}

/**
 * Media-signalling handlers on the fake server: LoginReq, CreateSessionReq, MediaDescReq (+ answer and candidate
 * pushes), CandidateInfoReq, ClientHBReq, CloseSessionReq; `webrtc_url` answers MEDIA_URL.
 */
export class FakeMediaServer {
  opts: MediaServerOptions = { answer: true, createSession: true, sessionResult: 0, sessionExtra: {} };
  nextSession = 1000;
  pushSeq = 0;

  constructor(private readonly server: FakeRoomServer) {
    const rsp = (f: Frame, sock: FakeWebSocket, body: Record<string, unknown>, sessionId = f.header.session_id) => {
      const header = { ...f.header, cmd: f.header.cmd.replace('Req', 'Rsp'), session_id: sessionId };
      setTimeout(() => sock.deliver({ header, body }), 1);
      return null;
    };
    server.handlers.webrtc_url = (f) => ({ err_code: 0, stream_id: f.body.stream_id, ptype: f.body.ptype, urls: [MEDIA_URL] });
    server.handlers.stream = () => ({ err_code: 0, stream_seq: 1 });
    server.handlers.LoginReq = (f, sock) => rsp(f, sock, { result: 0 });
    server.handlers.CreateSessionReq = (f, sock) => {
      if (!this.opts.createSession) return null;
      if (this.opts.sessionResult !== 0) return rsp(f, sock, { result: this.opts.sessionResult, strError: 'refused' });
      const sid = ++this.nextSession;
      return rsp(f, sock, { result: 0, session_id: sid, session_token: String(sid), ...this.opts.sessionExtra }, sid);
    };
    server.handlers.MediaDescReq = (f, sock) => {
      rsp(f, sock, { result: 0 });
      if (this.opts.answer) {
        const sid = Number(f.header.session_id);
        setTimeout(() => {
          this.push(sock, 'MediaDescPush', sid, { type: 1, sdp: 'v=0\r\nanswer' });
          this.push(sock, 'CandidateInfoPush', sid, { infos: [{ candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 8283 typ host', sdpMid: '0', sdpMLineIndex: 0 }] });
        }, 2);
      }
      return null;
    };
    for (const cmd of ['CandidateInfoReq', 'ClientHBReq', 'CloseSessionReq']) {
      server.handlers[cmd] = (f, sock) => rsp(f, sock, cmd === 'ClientHBReq' ? { result: 0, hb_interval: 10000 } : { result: 0 });
    }
  }

  /** The media socket (the latest one to MEDIA_URL). */
  get socket(): FakeWebSocket {
    const s = this.server.sockets.filter((x) => x.url === MEDIA_URL);
    return s[s.length - 1];
  }

  push(sock: FakeWebSocket, cmd: string, sessionId: number, body: Record<string, unknown>): void {
    const login = this.server.frames.find((f) => f.header.cmd === 'LoginReq');
    const header = { version: '1.0.1', cmd, appid: login ? login.header.appid : '42', seq: ++this.pushSeq, user_id: login ? login.header.user_id : '', session_id: sessionId };
    sock.deliver({ header, body });
  }

  /** Pushes to the latest session of the latest media socket. */
  pushLatest(cmd: string, body: Record<string, unknown>): void {
    this.push(this.socket, cmd, this.nextSession, body);
  }

  sent(cmd: string): Frame[] {
    return this.server.frames.filter((f) => f.header.cmd === cmd);
  }
}
