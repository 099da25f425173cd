/**
 * One media session on a signalling connection (notes §7.3), for a publisher or a player: CreateSessionReq →
 * RTCPeerConnection → offer (munged) → MediaDescReq → the server's answer (MediaDescPush) → candidates both ways
 * → ICE and DTLS connected. Each step has its timeout and its error key (errors.ts). The owner (publisher or
 * player) learns `connected`, `failed(failure, afterConnect)` and the session's other pushes; it decides about
 * retries. ICE uses every candidate by default (fastest start); relay-only when asked and the server gave TURN.
 */
import type { Logger } from '../logging/logger';
import type { MediaFailure, MediaKind } from './errors';
import type { CandidateInfoPush, CreateSessionRsp, ErrInfo, MediaDescPush, MediaDescReq, MediaNotifications, MediaNotifyCmd, MediaPush } from '../wire/media';
import type { RequestResultOf, SignalConnection } from './signal';

/** How long the server's answer and candidates may take (notes §7.3 steps 5 and 7). */
export const ANSWER_TIMEOUT_MS = 5000;
/** From the answer to a connected transport. */
export const CONNECT_TIMEOUT_MS = 15000;
/** A connected transport that stays `disconnected` this long has failed. */
export const DISCONNECTED_GRACE_MS = 4000;
/** CloseSessionPush reasons after which the session is recreated (notes §7.4). */
export const RETRY_CLOSE_REASONS: Record<MediaKind, number[]> = { publish: [26], play: [24, 26, 28] };

export interface NegotiationSpec {
  kind: MediaKind;
  streamId: string;
  streamParams: string;
  relayOnly: boolean;
  /** Adds tracks or transceivers to the new connection. */
  setup(pc: RTCPeerConnection): void;
  /** The offer as sent to the server. */
  munge(sdp: string): string;
  /** Extra MediaDescReq fields (publisher: size, rates). */
  descExtra(): Omit<MediaDescReq, 'type' | 'sdp'>;
  sdkVersionNumber: number;
  appid: number;
}

export interface NegotiationEvents {
  /** Transport connected (ICE + DTLS). */
  connected(): void;
  /** The session failed; `connected` says whether it had been up (a drop rather than a failed start). */
  failed(f: MediaFailure, connected: boolean, retryable: boolean): void;
  /** Pushes other than the negotiation's own (StreamStatusNotifyPush, PublishEventPush, PlayEventPush). */
  push(push: SessionPush): void;
  track?(ev: RTCTrackEvent): void;
}

/** The pushes a negotiation passes on to its owner. */
export type SessionPush = Exclude<MediaPush, { cmd: 'MediaDescPush' | 'CandidateInfoPush' | 'CloseSessionPush' | 'SessionResetPush' }>;

export class Negotiation {
  pc: RTCPeerConnection | null = null;
  sessionId = 0;
  isConnected = false;
  private done = false;
  private answered = false;
  private remoteCandidatesSeen = false;
  private localCandidates: RTCIceCandidate[] = [];
  private remoteCandidates: RTCIceCandidateInit[] = [];
  private timers: ReturnType<typeof setTimeout>[] = [];
  private disconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private candidateTimer: ReturnType<typeof setTimeout> | null = null;
  private session: CreateSessionRsp | null = null;
  private offer: RTCSessionDescriptionInit | null = null;
  private sld: Promise<void> | null = null;

  constructor(
    private readonly conn: SignalConnection,
    private readonly spec: NegotiationSpec,
    private readonly ev: NegotiationEvents,
    private readonly log: Logger,
  ) {}

  private get tag(): string {
    return `zm.${this.spec.kind}.${this.spec.streamId}`;
  }

  /**
   * CreateSessionReq goes out while the peer connection and its offer are prepared; the offer is sent (and set
   * locally, in parallel) once both are there.
   */
  start(): void {
    const ua = typeof navigator !== 'undefined' ? navigator.userAgent : '';
    this.conn.request(
      'CreateSessionReq',
      0,
      {
        type: this.spec.kind === 'publish' ? 0 : 1,
        stream_id: this.spec.streamId,
        platform: 'web',
        browser: ua,
        version: String(this.spec.sdkVersionNumber),
        app_id: this.spec.appid,
        negotiate_mode: 0,
        strAuthParam: this.spec.streamParams,
        sdk_version: this.spec.sdkVersionNumber,
      },
      (r) => this.onSession(r),
    );
    this.preparePc();
  }

  /** Ends the session: CloseSessionReq (reason 0, or 1 after an error) and the peer connection closes. */
  close(reason = 0): void {
    if (this.done && this.pc === null) return;
    this.finish();
    if (this.sessionId !== 0) {
      this.conn.detach(this.sessionId);
      if (this.conn.isReady) this.conn.request('CloseSessionReq', this.sessionId, { reason }, () => undefined);
    }
    this.closePc();
  }

  /** A notification on this session (StreamStatusNotify). */
  notify<C extends MediaNotifyCmd>(cmd: C, body: MediaNotifications[C]): void {
    if (!this.done && this.sessionId !== 0) this.conn.notify(cmd, this.sessionId, body);
  }

  // ------------------------------------------------------------------ steps

  private onSession(r: RequestResultOf<'CreateSessionReq'>): void {
    if (this.done) {
      // Stopped while the session was being created: end the server's session too.
      const sid = r.ok ? Number(r.body.session_id) : 0;
      if (sid > 0 && this.conn.isReady) this.conn.request('CloseSessionReq', sid, { reason: 0 }, () => undefined);
      return;
    }
    if (!r.ok) {
      if (r.why === 'timeout') return this.fail('TimeoutSession', 'CreateSessionReq unanswered');
      if (r.why === 'closed') return this.fail('SocketError', 'signalling socket closed', true);
      return this.fail('Session', `result ${String(r.result)} ${String(r.body && r.body.strError)}`);
    }
    const b = r.body;
    const sid = typeof b.session_id === 'number' ? b.session_id : Number(b.session_id);
    if (!Number.isFinite(sid) || sid === 0) return this.fail('Session', 'no session_id');
    this.sessionId = sid;
    this.session = b;
    this.conn.attach(sid, {
      onPush: (push) => this.onPush(push),
      onSocketClosed: () => this.fail('SocketError', 'signalling socket closed', true),
    });
    this.sendOffer();
  }

  private preparePc(): void {
    let pc: RTCPeerConnection;
    try {
      pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    } catch (e) {
      return this.fail('CreateOffer', `RTCPeerConnection: ${String(e)}`);
    }
    this.pc = pc;
    pc.onicecandidate = (e) => {
      if (this.done || e.candidate === null || e.candidate.candidate === '') return;
      if (this.answered) this.sendCandidates([e.candidate]);
      else this.localCandidates.push(e.candidate);
    };
    pc.onconnectionstatechange = () => this.onStateChange();
    pc.oniceconnectionstatechange = () => this.onStateChange();
    if (this.ev.track) {
      const onTrack = this.ev.track;
      pc.ontrack = (e) => {
        if (!this.done) onTrack(e);
      };
    }
    try {
      this.spec.setup(pc);
    } catch (e) {
      return this.fail('CreateOffer', `setup: ${String(e)}`);
    }
    pc.createOffer().then(
      (offer) => {
        this.offer = offer;
        this.sendOffer();
      },
      (e: unknown) => this.fail('CreateOffer', String(e)),
    );
  }

  /** Once the session and the offer are both there: ICE servers, the offer to the server, the local description. */
  private sendOffer(): void {
    const pc = this.pc;
    const b = this.session;
    const offer = this.offer;
    if (this.done || pc === null || b === null || offer === null || this.sld !== null) return;
    const turn = typeof b.turn_server === 'string' && b.turn_server !== '' ? b.turn_server : null;
    if (turn !== null) {
      const urls = [turn];
      if (typeof b.stun_server === 'string' && b.stun_server !== '') urls.push(b.stun_server);
      const iceServers = [{ urls, username: String(b.turn_username ?? ''), credential: String(b.turn_auth_key ?? '') }];
      try {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers, iceTransportPolicy: this.spec.relayOnly ? 'relay' : 'all' });
      } catch (e) {
        if (this.spec.relayOnly) return this.fail('CreateOffer', `ICE servers refused: ${String(e)}`);
        this.log.warn(`${this.tag} ICE servers refused (${String(e)}); direct ICE only`);
      }
    } else if (this.spec.relayOnly) {
      this.log.warn(`${this.tag} relay-only asked but the server gave no TURN relay; using direct ICE`);
    }
    let munged: string;
    try {
      munged = this.spec.munge(offer.sdp ?? '');
    } catch (e) {
      return this.fail('CreateOffer', `munge: ${String(e)}`);
    }
    this.sld = pc.setLocalDescription(offer);
    this.sld.catch((e: unknown) => this.fail('LocalDesc', String(e)));
    this.conn.request('MediaDescReq', this.sessionId, { type: 0, sdp: munged, ...this.spec.descExtra() }, (r) => {
      if (this.done || r.ok) return;
      if (r.why === 'timeout') this.fail('TimeoutDesc', 'MediaDescReq unanswered');
      else if (r.why === 'closed') this.fail('SocketError', 'signalling socket closed', true);
      else this.fail('ServerAnswer', `MediaDescRsp result ${String(r.result)} ${String(r.body && r.body.strError)}`);
    });
    this.later(ANSWER_TIMEOUT_MS, () => {
      if (!this.answered) this.fail('TimeoutServerAnswer', `no answer in ${ANSWER_TIMEOUT_MS} ms`);
    });
  }

  private onPush(push: MediaPush): void {
    if (this.done) return;
    switch (push.cmd) {
      case 'MediaDescPush':
        this.onAnswer(push.body);
        break;
      case 'CandidateInfoPush':
        this.onServerCandidates(push.body);
        break;
      case 'CloseSessionPush': {
        const body = push.body;
        const reason = typeof body.reason === 'number' ? body.reason : -1;
        // `err_info` may be missing, and `action` comes only from the original service.
        const info: Partial<ErrInfo> | undefined = body.err_info;
        const retry = RETRY_CLOSE_REASONS[this.spec.kind].includes(reason) || (info !== undefined && info.action === 5);
        const msg = info && typeof info.message === 'string' ? ` (${info.message})` : '';
        this.sessionClosedByServer();
        this.fail('SessionClosed', `reason ${reason}${msg}`, retry);
        break;
      }
      case 'SessionResetPush':
        this.fail('SessionClosed', 'session reset by the server', true);
        break;
      default:
        this.ev.push(push);
    }
  }

  private onAnswer(body: MediaDescPush): void {
    if (this.answered || this.pc === null) return;
    if (body.type !== 1 || typeof body.sdp !== 'string') return this.fail('ServerAnswer', `MediaDescPush type ${String(body.type)}`);
    this.answered = true;
    const pc = this.pc;
    const sdp = body.sdp;
    (this.sld ?? Promise.resolve())
      .then(() => pc.setRemoteDescription({ type: 'answer', sdp }))
      .then(
      () => {
        if (this.done) return;
        const buffered = this.localCandidates.splice(0);
        if (buffered.length > 0) this.sendCandidates(buffered);
        this.addRemoteCandidates();
        if (!this.remoteCandidatesSeen) {
          this.candidateTimer = this.later(ANSWER_TIMEOUT_MS, () => {
            if (!this.remoteCandidatesSeen && !this.isConnected) this.fail('TimeoutServerCandidate', `no candidates in ${ANSWER_TIMEOUT_MS} ms`);
          });
        }
        this.later(CONNECT_TIMEOUT_MS, () => {
          if (!this.isConnected) this.fail('ConnectionFailed', `not connected ${CONNECT_TIMEOUT_MS} ms after the answer`);
        });
      },
      (e: unknown) => this.fail('RemoteDesc', String(e)),
    );
  }

  private onServerCandidates(body: CandidateInfoPush): void {
    const infos = Array.isArray(body.infos) ? body.infos : [];
    this.remoteCandidatesSeen = true;
    if (this.candidateTimer !== null) clearTimeout(this.candidateTimer);
    for (const i of infos) {
      if (!i || typeof i.candidate !== 'string') continue;
      this.remoteCandidates.push({
        candidate: i.candidate,
        sdpMid: typeof i.sdpMid === 'string' ? i.sdpMid : null,
        sdpMLineIndex: typeof i.sdpMLineIndex === 'number' ? i.sdpMLineIndex : null,
      });
    }
    if (this.pc !== null && this.pc.remoteDescription !== null) this.addRemoteCandidates();
  }

  private addRemoteCandidates(): void {
    const pc = this.pc;
    if (pc === null) return;
    for (const c of this.remoteCandidates.splice(0)) {
      pc.addIceCandidate(c).catch((e: unknown) => {
        if (!this.isConnected) this.fail('ServerCandidate', String(e));
      });
    }
  }

  private sendCandidates(list: RTCIceCandidate[]): void {
    const relayOnly = this.pc !== null && this.pc.getConfiguration().iceTransportPolicy === 'relay';
    const infos = list
      .filter((c) => !relayOnly || / typ relay/.test(c.candidate))
      .map((c) => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }));
    if (infos.length === 0) return;
    this.conn.request('CandidateInfoReq', this.sessionId, { infos }, (r) => {
      if (this.done || r.ok) return;
      // The server is ICE-lite and learns our addresses from the checks: a lost candidate matters only before
      // the transport is up.
      if (r.why === 'timeout' && !this.isConnected) this.fail('TimeoutCandidate', 'CandidateInfoReq unanswered');
    });
  }

  private onStateChange(): void {
    const pc = this.pc;
    if (this.done || pc === null) return;
    const state = typeof pc.connectionState === 'string' ? pc.connectionState : pc.iceConnectionState;
    this.log.debug(`${this.tag} connection=${pc.connectionState} ice=${pc.iceConnectionState}`);
    if (state === 'connected' || (pc.connectionState === undefined && pc.iceConnectionState === 'completed')) {
      if (this.disconnectTimer !== null) clearTimeout(this.disconnectTimer);
      this.disconnectTimer = null;
      if (!this.isConnected) {
        this.isConnected = true;
        this.log.info(`${this.tag} connected (session ${this.sessionId})`);
        this.ev.connected();
      }
      return;
    }
    if (state === 'disconnected') {
      if (this.isConnected && this.disconnectTimer === null) {
        this.disconnectTimer = setTimeout(() => {
          this.disconnectTimer = null;
          this.fail('ConnectionFailed', `disconnected for ${DISCONNECTED_GRACE_MS} ms`, true);
        }, DISCONNECTED_GRACE_MS);
      }
      return;
    }
    if (state === 'failed') this.fail('ConnectionFailed', 'transport failed', true);
    else if (state === 'closed') this.fail('ConnectionClosed', 'transport closed', true);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Ends the session with a failure. `retryable` marks failures of the transport or the server's session (the
   * owner retries those if the stream had been up); the rest are errors of this attempt.
   */
  private fail(key: MediaFailure['key'], detail: string, retryable = false): void {
    if (this.done) return;
    const connected = this.isConnected;
    this.log.warn(`${this.tag} failed ${key}: ${detail} (connected=${connected})`);
    this.close(1);
    this.ev.failed({ key, detail }, connected, retryable);
  }

  private sessionClosedByServer(): void {
    // The server forgot the session already: no CloseSessionReq for it.
    if (this.sessionId !== 0) this.conn.detach(this.sessionId);
    this.sessionId = 0;
  }

  private later(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      if (!this.done) fn();
    }, ms);
    this.timers.push(t);
    return t;
  }

  private finish(): void {
    this.done = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.disconnectTimer !== null) clearTimeout(this.disconnectTimer);
    this.disconnectTimer = null;
  }

  private closePc(): void {
    const pc = this.pc;
    this.pc = null;
    if (pc === null) return;
    pc.onicecandidate = null;
    pc.onconnectionstatechange = null;
    pc.oniceconnectionstatechange = null;
    pc.ontrack = null;
    try {
      pc.close();
    } catch {
      /* already closed */
    }
  }
}
