/**
 * The room session: login and re-login, heartbeat, request/ack bookkeeping, inbound dispatch, and reset.
 * It owns the connection and the per-topic modules (stream list, users, reliable messages, big-room batching,
 * relay queue, join-live, own streams) and wires them together; argument validation lives in the public
 * facade (zego-client.ts), so everything here may assume well-typed input.
 *
 * States (notes §1): logout → (login()) trylogin → (login reply ok) login → (socket closed) trylogin → …
 * Any fatal event (kick-out, heartbeat timeout, fatal login error, retries exhausted, logout) resets to logout.
 */
import {
  kickoutError,
  networkError,
  serverError,
  timeoutError,
  TimeoutMessage,
  type ZegoError,
} from '../errors';
import type { Logger } from '../logging/logger';
import { SDK_VERSION } from '../version';
import type {
  CustomMsgReq,
  HbRsp,
  ImChatReq,
  InboundFrame,
  LoginReq,
  LoginRsp,
  PushImChat,
  PushMergeMessage,
  PushStreamUpdate,
  PushTrans,
  PushUserListUpdate,
  ReqHeader,
  BigimMergeBody,
} from '../wire/types';
import { MERGE_SUB_CMD_BIGIM } from '../wire/types';
import { AckQueue } from './ack-queue';
import { BigRoomBatcher } from './bigroom-batcher';
import { RoomConnection } from './connection';
import { Heartbeat } from './heartbeat';
import { JoinLive } from './join-live';
import { LocalStreams } from './local-streams';
import { DEFAULT_RECONNECT_POLICY, LoginRetry, type ReconnectPolicy } from './login-retry';
import { RelayQueue } from './relay-queue';
import { ReliableMessages } from './reliable-messages';
import type { RequestHandlers } from './requester';
import { ServerClock } from './server-clock';
import { isEmptyDiff, StreamList, toPublicStream, type StreamDiff } from './stream-list';
import { UserList } from './user-list';

export type RoomState = 'logout' | 'trylogin' | 'login';

/** Liveroom's "rate limited" err_code: a heartbeat answered with it still proves the session alive. */
export const HB_RATE_LIMITED_CODE = 1000000003;
/**
 * Login error codes after which the retry schedule simply continues: 1002/1003 (notes §1.3), and Liveroom's
 * "rate limited", which a later attempt passes.
 */
export const LOGIN_RETRYABLE_CODES: readonly number[] = [1002, 1003, HB_RATE_LIMITED_CODE];
/** Minimum gap between two sendRoomMsg sends (notes §2). */
export const ROOM_MSG_MIN_INTERVAL_MS = 500;
/** client_type of a WebRTC client in the login body. */
export const CLIENT_TYPE_WEBRTC = 3;

export interface RoomIdentity {
  appid: number;
  servers: string[];
  idName: string;
  nickName: string;
  audienceCreateRoom: boolean;
}

/** Application callbacks, fired by name through the facade's safe emitter. */
export type Emit = (name: string, ...args: unknown[]) => void;

/** Hooks for modules that live beside the room (the media module of a later issue). */
export interface RoomExtension {
  /** After every successful login; `first` is false for a re-login after a drop. */
  onLoggedIn?(first: boolean): void;
  /** Every heartbeat response. */
  onHeartbeat?(rsp: HbRsp): void;
  /** Before the room resets to logout (logout, release, kick-out, fatal errors). */
  onReset?(): void;
}

interface LoginRequest {
  roomId: string;
  role: number;
  token: string;
  thirdToken: string;
  ok: unknown;
  err: unknown;
}

export class Room {
  state: RoomState = 'logout';
  identity: RoomIdentity | null = null;
  /** setUserStateUpdate(true): applies from the next login. */
  userStateUpdate = false;
  /** config()'s reconnectMaxAttempts / reconnectMaxDelayMs: the login and re-login schedule. */
  reconnect: ReconnectPolicy = { ...DEFAULT_RECONNECT_POLICY };
  roomId = '';
  role = 0;
  userId = '';
  sessionId = '';
  anchorInfo: { anchor_id: string; anchor_id_name: string; anchor_nick_name: string } | null = null;

  readonly clock = new ServerClock();
  readonly acks: AckQueue;
  readonly heartbeat: Heartbeat;
  readonly loginRetry: LoginRetry;
  readonly connection: RoomConnection;
  readonly streams: StreamList;
  readonly localStreams: LocalStreams;
  readonly users: UserList;
  readonly reliable: ReliableMessages;
  readonly bigRoom: BigRoomBatcher;
  readonly relay: RelayQueue;
  readonly joinLive: JoinLive;

  private extensions: RoomExtension[] = [];
  private seqCounter = 0;
  private requestCounter = 0;
  private loginSeq = -1;
  private loginReq: LoginRequest | null = null;
  private everLoggedIn = false;
  /** user_state_flag sent with the current login: pushes/fetches happen only if it was 1. */
  private userStateActive = false;
  private streamFetchInFlight = false;
  private streamFetchAgain = false;
  private lastRoomMsgAt = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly emit: Emit,
    private readonly callUser: (name: string, fn: unknown, ...args: unknown[]) => void,
    random: () => number = Math.random,
  ) {
    const request = (cmd: string, body: object, h?: RequestHandlers) => this.request(cmd, body, h);
    const call = (name: string, fn: unknown, ...args: unknown[]) => this.callUser(name, fn, ...args);
    const selfIdName = () => (this.identity ? this.identity.idName : '');
    this.acks = new AckQueue((e) => this.log.error(`zc.internal.ack ${String(e)}`));
    this.heartbeat = new Heartbeat(
      () => this.sendHeartbeat(),
      () => this.onHeartbeatTimeout(),
    );
    this.loginRetry = new LoginRetry(
      (n, server) => this.attemptLogin(n, server),
      () => this.onLoginExhausted(),
      random,
      (n, delay, why) => this.log.info(`zc.login.wait ${why}; attempt ${n}/${this.reconnect.maxAttempts} in ${delay} ms`),
    );
    this.connection = new RoomConnection({
      onOpen: () => this.onSocketOpen(),
      onClose: () => this.onSocketClose(),
      onFrame: (f) => this.onFrame(f),
      onBadFrame: (t) => this.log.warn(`zc.socket.frame unparsable frame dropped: ${t.slice(0, 200)}`),
    });
    this.streams = new StreamList(selfIdName);
    this.localStreams = new LocalStreams({
      request,
      log,
      onStreamSeq: (seq) => {
        this.streams.seq = seq;
      },
    });
    this.users = new UserList({
      request,
      log,
      roomId: () => this.roomId,
      emitTotal: (roomId, users) => this.emit('onGetTotalUserList', roomId, users),
      emitUpdate: (roomId, users) => this.emit('onUserStateUpdate', roomId, users),
    });
    this.reliable = new ReliableMessages({
      request,
      log,
      call,
      selfIdName,
      emit: (type, seq, data) => this.emit('onRecvReliableMessage', type, seq, data),
    });
    const canSend = () => this.state === 'login';
    this.bigRoom = new BigRoomBatcher({ request, call, now: () => this.clock.now(), random, canSend });
    this.relay = new RelayQueue({ request, call, now: () => this.clock.now(), random, canSend });
    this.joinLive = new JoinLive({
      request,
      log,
      call,
      selfIdName,
      selfNickName: () => (this.identity ? this.identity.nickName : ''),
      roomId: () => this.roomId,
      newRequestId: () => this.newRequestId(),
      emitRequest: (...a) => this.emit('onRecvJoinLiveRequest', ...a),
      emitInvite: (...a) => this.emit('onRecvInviteJoinLiveRequest', ...a),
      emitEnd: (...a) => this.emit('onRecvEndJoinLiveCommand', ...a),
    });
  }

  addExtension(ext: RoomExtension): void {
    this.extensions.push(ext);
  }

  get isLoggedIn(): boolean {
    return this.state === 'login';
  }

  /** The token of the current login (the media module logs in to media signalling with it); '' when none. */
  get loginToken(): string {
    return this.loginReq !== null ? this.loginReq.token : '';
  }

  newRequestId(): string {
    this.requestCounter++;
    return `${this.identity ? this.identity.idName : ''}-${this.requestCounter}`;
  }

  // ---------------------------------------------------------------- requests

  private header(cmd: string, seq: number): ReqHeader {
    return {
      Protocol: 'req',
      cmd,
      appid: this.identity ? this.identity.appid : 0,
      seq,
      user_id: this.userId,
      session_id: this.sessionId,
      room_id: this.roomId,
    };
  }

  /** Sends a request and tracks its answer (generic ack rule: err_code 0 → ok, else fail(serverError)). */
  request(cmd: string, body: object, handlers?: RequestHandlers): number {
    if (!this.connection.isOpen()) {
      this.log.warn(`zc.send.${cmd} socket is not open; not sent`);
      if (handlers && handlers.fail) {
        const fail = handlers.fail;
        setTimeout(() => fail(networkError('socket is not open.'), -1), 0);
      }
      return -1;
    }
    const seq = ++this.seqCounter;
    this.connection.send(this.header(cmd, seq), body);
    if (handlers) {
      this.acks.add(seq, {
        cmd,
        sentAt: Date.now(),
        onResponse: (b) => {
          const code = typeof b.err_code === 'number' ? b.err_code : 0;
          if (code === 0) {
            if (handlers.ok) handlers.ok(b, seq);
          } else if (handlers.fail) handlers.fail(serverError(code), seq, code, b);
        },
        onFailure: (e) => {
          if (handlers.fail) handlers.fail(e, seq);
        },
      });
    }
    return seq;
  }

  // ---------------------------------------------------------------- login

  login(roomId: string, role: number, token: string, thirdToken: string, ok: unknown, err: unknown): void {
    if (this.state !== 'logout') {
      this.log.info('zc.login.reset previous session before a new login');
      this.reset(true);
    }
    const id = this.identity;
    if (id === null) return;
    this.roomId = roomId;
    this.role = role;
    this.loginReq = { roomId, role, token, thirdToken, ok, err };
    this.everLoggedIn = false;
    this.userStateActive = this.userStateUpdate;
    this.state = 'trylogin';
    this.log.info(`zc.login.start roomid=${roomId} role=${role} servers=${id.servers.join(',')}`);
    this.loginRetry.start(id.servers, this.reconnect, true);
  }

  private attemptLogin(attemptNo: number, server: string): void {
    this.log.info(`zc.login.attempt ${attemptNo} server=${server}`);
    if (this.connection.isOpen() && this.connection.url === server) {
      this.sendLogin();
      return;
    }
    try {
      this.connection.open(server); // login goes out in onSocketOpen
    } catch (e) {
      this.log.error(`zc.login.socket cannot open ${server}: ${String(e)}`);
      this.loginRetry.failed('socket cannot open');
    }
  }

  private onSocketOpen(): void {
    if (this.state === 'trylogin') this.sendLogin();
  }

  private sendLogin(): void {
    const id = this.identity;
    const req = this.loginReq;
    if (id === null || req === null) return;
    const seq = ++this.seqCounter;
    this.loginSeq = seq;
    this.userId = '';
    this.sessionId = '';
    this.connection.send(this.header('login', seq), {
      id_name: id.idName,
      nick_name: id.nickName,
      role: req.role,
      token: req.token,
      version: SDK_VERSION,
      room_name: req.roomId,
      user_state_flag: this.userStateActive ? 1 : 0,
      room_create_flag: id.audienceCreateRoom ? 1 : 0,
      client_type: CLIENT_TYPE_WEBRTC,
      third_token: req.thirdToken,
    } satisfies LoginReq);
  }

  private onLoginResponse(frame: InboundFrame): void {
    if (this.state !== 'trylogin' || frame.header.seq !== this.loginSeq) {
      this.log.debug(`zc.login.rsp ignored (state=${this.state} seq=${String(frame.header.seq)})`);
      return;
    }
    const b = frame.body as unknown as LoginRsp;
    const code = typeof b.err_code === 'number' ? b.err_code : 0;
    if (code !== 0) {
      if (LOGIN_RETRYABLE_CODES.includes(code)) {
        this.log.warn(`zc.login.rsp err_code=${code}, keep trying`);
        this.loginRetry.failed(`err_code=${code}`);
        return;
      }
      this.log.error(`zc.login.rsp fatal err_code=${code}`);
      this.failLogin(serverError(code));
      return;
    }
    this.onLoginSuccess(frame, b);
  }

  private failLogin(e: ZegoError): void {
    const wasLoggedIn = this.everLoggedIn;
    const req = this.loginReq;
    this.reset(false);
    if (wasLoggedIn) this.emit('onDisconnect', e);
    else if (req) this.callUser('login.error', req.err, e);
  }

  private onLoginExhausted(): void {
    this.log.error(`zc.login.exhausted after ${this.loginRetry.attempts} attempts`);
    if (this.everLoggedIn) this.failLogin(networkError('network is broken and login fail.'));
    else this.failLogin(timeoutError(TimeoutMessage.login));
  }

  private onLoginSuccess(frame: InboundFrame, b: LoginRsp): void {
    const req = this.loginReq as LoginRequest;
    this.loginRetry.stop();
    this.userId = String(b.user_id ?? frame.header.user_id ?? '');
    this.sessionId = String(b.session_id ?? frame.header.session_id ?? '');
    const cfg = b.config_info;
    if (cfg && typeof cfg === 'object') {
      if (typeof cfg.log_level === 'number') this.log.setRemoteLevel(cfg.log_level);
      if (typeof cfg.log_url === 'string' && cfg.log_url.length > 0) this.log.openRemote(cfg.log_url);
    }
    this.clock.setFromLogin(b.ret_timestamp);
    this.bigRoom.setWindow(b.bigim_time_window);
    this.relay.setWindow(b.dati_time_window);
    this.users.configure(b.userlist_merge_timeout, b.userlist_interval);
    this.state = 'login';
    const first = !this.everLoggedIn;
    this.everLoggedIn = true;
    this.log.info(`zc.login.ok roomid=${this.roomId} user_id=${this.userId} session_id=${this.sessionId} first=${first}`);
    this.acks.startChecker();
    this.heartbeat.start(b.hearbeat_interval);
    if (!this.stillLoggedIn()) return; // a callback above may have logged out

    if (b.anchor_info && typeof b.anchor_info === 'object') {
      this.anchorInfo = b.anchor_info;
      this.emit('onGetAnchorInfo', b.anchor_info.anchor_id_name, b.anchor_info.anchor_nick_name);
    }
    if (typeof b.online_count === 'number' && b.online_count !== 0) this.emit('onUpdateOnlineCount', this.roomId, b.online_count);
    if (!this.stillLoggedIn()) return;
    if (this.userStateActive) {
      // Pushes held from the previous connection may carry another server's seqs: start over from the full list.
      if (!first) this.users.reset();
      this.users.fetchAll();
    }

    const seq = typeof b.stream_seq === 'number' ? b.stream_seq : 0;
    if (first) {
      // Own streams in the list at first login are leftovers of an earlier session: end them (notes §1.3).
      for (const s of this.streams.ownIn(b.stream_info)) {
        this.log.info(`zc.login.stale ending own stale stream ${s.stream_id}`);
        this.localStreams.endStale(s.stream_id, s.extra_info);
      }
      this.streams.replace(seq, b.stream_info);
      for (const ext of this.extensions) if (ext.onLoggedIn) this.safe(() => ext.onLoggedIn!(true));
      this.callUser('login.success', req.ok, this.streams.list());
    } else {
      const diff = this.streams.replace(seq, b.stream_info);
      const own = new Set(this.streams.ownIn(b.stream_info).map((s) => s.stream_id));
      this.localStreams.reannounceMissing((sid) => own.has(sid));
      for (const ext of this.extensions) if (ext.onLoggedIn) this.safe(() => ext.onLoggedIn!(false));
      this.emitStreamDiff(diff);
    }
  }

  // ---------------------------------------------------------------- connection loss

  private onSocketClose(): void {
    if (this.state === 'trylogin') {
      // The attempt in progress failed (refused, or closed before the reply): next one after a jittered wait.
      this.loginRetry.failed('socket closed');
      return;
    }
    if (this.state !== 'login') return;
    this.log.warn('zc.socket.closed while logged in; re-login');
    this.state = 'trylogin';
    this.heartbeat.stop();
    this.acks.stopChecker();
    const failPending = this.acks.drain();
    this.userId = '';
    this.sessionId = '';
    this.loginRetry.start((this.identity as RoomIdentity).servers, this.reconnect, false);
    failPending();
  }

  // ---------------------------------------------------------------- heartbeat

  private sendHeartbeat(): void {
    this.request('hb', { reserve: 0 }, {
      ok: (body) => this.onHeartbeatResponse(body as unknown as HbRsp),
      fail: (e, _seq, code) => {
        if (this.state !== 'login') return;
        if (code === HB_RATE_LIMITED_CODE) {
          // The server is alive, only busy: not a lost session.
          this.log.warn('zc.hb.rsp rate limited');
          this.heartbeat.answered();
          return;
        }
        if (code !== undefined) {
          this.log.error(`zc.hb.rsp error ${e.msg}`);
          this.reset(false);
          this.emit('onDisconnect', e);
        }
        // Timeouts are counted by the heartbeat's miss counter instead.
      },
    });
  }

  private onHeartbeatResponse(b: HbRsp): void {
    if (this.state !== 'login') return;
    this.heartbeat.answered();
    this.heartbeat.updateInterval(b.hearbeat_interval);
    this.bigRoom.setWindow(b.bigim_time_window);
    this.relay.setWindow(b.dati_time_window);
    this.reliable.onHeartbeat(b.trans_seqs);
    if (typeof b.stream_seq === 'number' && b.stream_seq !== this.streams.seq) {
      this.log.info(`zc.hb.stream_seq local=${this.streams.seq} server=${b.stream_seq}, refetch`);
      this.fetchStreams();
    }
    if (this.userStateActive) this.users.onServerSeq(b.server_user_seq);
    this.localStreams.resendPending();
    for (const ext of this.extensions) if (ext.onHeartbeat) this.safe(() => ext.onHeartbeat!(b));
    if (typeof b.online_count === 'number' && b.online_count !== 0) this.emit('onUpdateOnlineCount', this.roomId, b.online_count);
  }

  private onHeartbeatTimeout(): void {
    this.log.error('zc.hb.timeout 3 heartbeats unanswered');
    this.reset(false);
    this.emit('onDisconnect', timeoutError(TimeoutMessage.heartbeat));
  }

  // ---------------------------------------------------------------- streams

  fetchStreams(): void {
    if (this.streamFetchInFlight) {
      this.streamFetchAgain = true;
      return;
    }
    this.streamFetchInFlight = true;
    this.streamFetchAgain = false;
    this.request('stream_info', { reserve: 0 }, {
      ok: (body) => {
        this.streamFetchInFlight = false;
        const seq = typeof body.stream_seq === 'number' ? body.stream_seq : 0;
        this.emitStreamDiff(this.streams.replace(seq, body.stream_info));
        if (this.streamFetchAgain && this.state === 'login') this.fetchStreams();
      },
      fail: (e) => {
        this.streamFetchInFlight = false;
        this.log.warn(`zc.stream_info.fetch failed ${e.code} ${e.msg}`);
        if (this.streamFetchAgain && this.state === 'login') this.fetchStreams();
      },
    });
  }

  private onStreamPush(p: PushStreamUpdate): void {
    const diff = this.streams.applyPush(p);
    if (diff === null) {
      this.log.info(`zc.stream.push gap local=${this.streams.seq} push=${p.stream_seq}, refetch`);
      this.fetchStreams();
      return;
    }
    this.emitStreamDiff(diff);
  }

  private emitStreamDiff(d: StreamDiff): void {
    if (isEmptyDiff(d)) return;
    if (d.added.length > 0) this.emit('onStreamUpdated', 0, d.added.map(toPublicStream));
    if (d.deleted.length > 0) this.emit('onStreamUpdated', 1, d.deleted.map(toPublicStream));
    if (d.changed.length > 0) this.emit('onStreamExtraInfoUpdated', d.changed.map(toPublicStream));
  }

  // ---------------------------------------------------------------- inbound

  private onFrame(frame: InboundFrame): void {
    const h = frame.header;
    const isRsp = h.protocol === 'rsp';
    if (isRsp && h.cmd === 'login') {
      this.onLoginResponse(frame);
      return;
    }
    if (isRsp && h.cmd === 'logout') return;
    const id = this.identity;
    if (
      this.state !== 'login' ||
      id === null ||
      h.appid !== id.appid ||
      h.session_id !== this.sessionId ||
      h.user_id !== this.userId ||
      h.room_id !== this.roomId
    ) {
      this.log.debug(`zc.frame.drop ${h.protocol} ${h.cmd} (not for this session)`);
      return;
    }
    if (isRsp) {
      if (typeof h.seq !== 'number' || !this.acks.resolve(h.seq, frame.body)) {
        this.log.debug(`zc.rsp.unmatched ${h.cmd} seq=${String(h.seq)}`);
      }
      return;
    }
    if (h.protocol === 'push') this.onPush(h.cmd, frame.body);
  }

  private onPush(cmd: string, body: Record<string, unknown>): void {
    switch (cmd) {
      case 'push_kickout':
        this.onKickout(body.reason);
        break;
      case 'push_custommsg':
        this.onCustomMsgPush(body.custommsg);
        break;
      case 'push_im_chat': {
        const p = body as unknown as PushImChat;
        this.emit('onRecvRoomMsg', Array.isArray(p.chat_data) ? p.chat_data : [], p.server_msg_id, p.ret_msg_id);
        break;
      }
      case 'push_userlist_update':
        if (this.userStateActive) this.users.onPush(body as unknown as PushUserListUpdate);
        break;
      case 'push_stream_update':
        this.onStreamPush(body as unknown as PushStreamUpdate);
        break;
      case 'push_signal':
        this.joinLive.onPush(body.sub_cmd, body.signal_msg);
        break;
      case 'push_trans':
        this.reliable.onPush(body as unknown as PushTrans);
        break;
      case 'push_merge_message':
        this.onMergeMessagePush(body as unknown as PushMergeMessage);
        break;
      default:
        this.log.debug(`zc.push.unknown ${cmd}`);
    }
  }

  private onKickout(reason: unknown): void {
    this.log.warn(`zc.kickout reason=${String(reason)}`);
    this.reset(false);
    this.emit('onKickOut', kickoutError(reason));
  }

  private onCustomMsgPush(raw: unknown): void {
    let m: { from_userid?: unknown; from_username?: unknown; custom_content?: unknown };
    try {
      m = JSON.parse(String(raw)) as typeof m;
    } catch {
      this.log.warn('zc.custommsg.push unparsable custommsg');
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    this.emit('onRecvCustomCommand', String(m.from_userid ?? ''), String(m.from_username ?? ''), m.custom_content);
  }

  private onMergeMessagePush(p: PushMergeMessage): void {
    if (!Array.isArray(p.messages)) return;
    const me = this.identity ? this.identity.idName : '';
    for (const m of p.messages) {
      if (!m || m.sub_cmd !== MERGE_SUB_CMD_BIGIM) continue;
      let body: BigimMergeBody;
      try {
        body = JSON.parse(String(m.msg_body)) as BigimMergeBody;
      } catch {
        this.log.warn('zc.bigim.push unparsable msg_body');
        continue;
      }
      const data = Array.isArray(body.msg_data) ? body.msg_data : [];
      const list = data
        .filter((d) => d && d.id_name !== me)
        .map((d) => ({
          idName: d.id_name,
          nickName: d.nick_name,
          messageId: String(d.bigmsg_id),
          category: d.msg_category,
          type: d.msg_type,
          content: d.msg_content,
          time: d.send_time,
        }));
      if (list.length > 0) this.emit('onRecvBigRoomMessage', list, typeof body.room_id === 'string' ? body.room_id : this.roomId);
    }
  }

  // ---------------------------------------------------------------- public operations (validated by the facade)

  sendCustomCommand(dest: string[], content: unknown, ok: unknown, err: unknown): number {
    const id = this.identity as RoomIdentity;
    const custom_msg = JSON.stringify({
      from_userid: id.idName,
      from_username: id.nickName,
      request_id: this.newRequestId(),
      custom_content: content,
      room_id: this.roomId,
    });
    return this.request('custommsg', { dest_id_name: dest, custom_msg } satisfies CustomMsgReq, {
      ok: (_b, seq) => this.callUser('sendCustomCommand.success', ok, seq, content),
      fail: (e, seq) => this.callUser('sendCustomCommand.error', err, e, seq, content),
    });
  }

  /** False when rate-limited (the error callback got ZegoClient.Error.requencyLimited). */
  sendRoomMsg(category: number, type: number, content: string, ok: unknown, err: unknown): boolean {
    const now = Date.now();
    if (now - this.lastRoomMsgAt < ROOM_MSG_MIN_INTERVAL_MS) {
      this.log.warn('zc.roommsg.limited less than 500 ms since the previous room message');
      this.callUser('sendRoomMsg.error', err, { code: 'ZegoClient.Error.requencyLimited', msg: 'Frequency Limited.' }, 0, category, type, content);
      return false;
    }
    this.lastRoomMsgAt = now;
    this.request('im_chat', { msg_category: category, msg_type: type, msg_content: content } satisfies ImChatReq, {
      ok: (b, seq) => this.callUser('sendRoomMsg.success', ok, seq, b.msg_id, category, type, content),
      fail: (e, seq) => this.callUser('sendRoomMsg.error', err, e, seq, category, type, content),
    });
    return true;
  }

  // ---------------------------------------------------------------- logout / reset

  logout(): boolean {
    if (this.state === 'logout') return false;
    this.reset(true);
    return true;
  }

  /**
   * Back to logout: timers stop, own announced streams are ended and `logout` is sent (if asked and possible),
   * the socket closes at once, every module forgets its state. Pending callbacks fail only after the state is
   * consistent, so a callback that calls login() again starts from a clean room.
   */
  reset(sendLogout: boolean): void {
    this.log.info(`zc.room.reset state=${this.state} sendLogout=${sendLogout}`);
    this.loginRetry.stop();
    this.heartbeat.stop();
    this.acks.stopChecker();
    for (const ext of this.extensions) if (ext.onReset) this.safe(() => ext.onReset!());
    if (this.connection.isOpen() && this.state === 'login') {
      this.localStreams.endAll();
      if (sendLogout && this.sessionId !== '') this.request('logout', { reserve: 0 });
    }
    this.connection.close();
    const failAcks = this.acks.drain();
    const failBig = this.bigRoom.reset();
    const failRelay = this.relay.reset();
    this.localStreams.reset();
    this.joinLive.reset();
    this.reliable.reset();
    this.users.reset();
    this.streams.reset();
    this.clock.reset();
    this.state = 'logout';
    this.userId = '';
    this.sessionId = '';
    this.anchorInfo = null;
    this.loginReq = null;
    this.loginSeq = -1;
    this.everLoggedIn = false;
    this.streamFetchInFlight = false;
    this.streamFetchAgain = false;
    failAcks();
    failBig();
    failRelay();
  }

  /** Re-reads the state after code that may have run application callbacks. */
  private stillLoggedIn(): boolean {
    return this.state === 'login';
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(`zc.internal.extension ${String(e)}`);
    }
  }
}

