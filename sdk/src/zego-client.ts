/**
 * ZegoClient: the public class of the API reference. This facade validates arguments (an invalid call never
 * throws: it logs and returns false), keeps the configuration and the application callbacks, and delegates to
 * the room session (room/room.ts). Media methods (preview, publish, play, mixing, devices, effects, screen
 * sharing) arrive with the media module of a later issue; it plugs in through Room.addExtension and
 * Room.localStreams.
 */
import type { ZegoCallbacks } from './callbacks';
import { ErrorCode, paramError, type ZegoError } from './errors';
import type { LogContext } from './logging/format';
import { LogLevel } from './logging/levels';
import { Logger } from './logging/logger';
import { Room, type RoomIdentity } from './room/room';
import type { StreamInfo } from './room/stream-list';
import { pickStream, playableUrls } from './room/stream-filter';
import { safeCall } from './safe-emit';
import {
  isBoolean,
  isFiniteNumber,
  isFunction,
  isNonEmptyString,
  isNonEmptyStringArray,
  isString,
  normalizeServers,
  utf8Length,
} from './validation';
import { SDK_VERSION } from './version';

/** Options of config() (reference §1.1). */
export interface ZegoConfigOption {
  appid: number;
  server: string | string[];
  idName: string;
  nickName: string;
  logLevel: number;
  remoteLogLevel?: number;
  logUrl?: string;
  audienceCreateRoom?: boolean;
}

/** Reference §1.28: a reliable message type is 1..128 bytes. */
export const RELIABLE_TYPE_MAX_BYTES = 128;

const noop = (): void => undefined;

export class ZegoClient implements ZegoCallbacks {
  /** Error code strings of the reference §5, for comparisons like `err.code === ZegoClient.Error.Timeout`. */
  static readonly Error = {
    Param: ErrorCode.Param,
    Timeout: ErrorCode.Timeout,
    Network: ErrorCode.Network,
    Kickout: ErrorCode.Kickout,
    Server: ErrorCode.Server,
    Unknown: ErrorCode.Unknown,
    requencyLimited: ErrorCode.FrequencyLimited,
  } as const;
  static readonly Success = ErrorCode.Success;

  /** Reference §3.4. */
  static getCurrentVersion(): string {
    return SDK_VERSION;
  }

  /** Reference §3.2: RTCPeerConnection, getUserMedia and WebSocket are all present. */
  static isSupportWebrtc(): boolean {
    const g = globalThis as unknown as {
      RTCPeerConnection?: unknown;
      webkitRTCPeerConnection?: unknown;
      WebSocket?: unknown;
      navigator?: { mediaDevices?: { getUserMedia?: unknown } };
    };
    const pc = typeof g.RTCPeerConnection === 'function' || typeof g.webkitRTCPeerConnection === 'function';
    const gum = !!g.navigator && !!g.navigator.mediaDevices && typeof g.navigator.mediaDevices.getUserMedia === 'function';
    return pc && gum && typeof g.WebSocket === 'function';
  }

  // ------------------------------------------------------------ callbacks (reference §2), no-op defaults
  onDisconnect: ZegoCallbacks['onDisconnect'] = noop;
  onKickOut: ZegoCallbacks['onKickOut'] = noop;
  onGetAnchorInfo: ZegoCallbacks['onGetAnchorInfo'] = noop;
  onRecvCustomCommand: ZegoCallbacks['onRecvCustomCommand'] = noop;
  onStreamUpdated: ZegoCallbacks['onStreamUpdated'] = noop;
  onStreamExtraInfoUpdated: ZegoCallbacks['onStreamExtraInfoUpdated'] = noop;
  onRecvRoomMsg: ZegoCallbacks['onRecvRoomMsg'] = noop;
  onUserStateUpdate: ZegoCallbacks['onUserStateUpdate'] = noop;
  onGetTotalUserList: ZegoCallbacks['onGetTotalUserList'] = noop;
  onRecvJoinLiveRequest: ZegoCallbacks['onRecvJoinLiveRequest'] = noop;
  onRecvInviteJoinLiveRequest: ZegoCallbacks['onRecvInviteJoinLiveRequest'] = noop;
  onRecvEndJoinLiveCommand: ZegoCallbacks['onRecvEndJoinLiveCommand'] = noop;
  onRecvReliableMessage: ZegoCallbacks['onRecvReliableMessage'] = noop;
  onRecvBigRoomMessage: ZegoCallbacks['onRecvBigRoomMessage'] = noop;
  onUpdateOnlineCount: ZegoCallbacks['onUpdateOnlineCount'] = noop;
  onPlayStateUpdate: ZegoCallbacks['onPlayStateUpdate'] = noop;
  onPublishStateUpdate: ZegoCallbacks['onPublishStateUpdate'] = noop;
  onVideoSizeChanged: ZegoCallbacks['onVideoSizeChanged'] = noop;
  onPlayQualityUpdate: ZegoCallbacks['onPlayQualityUpdate'] = noop;
  onPublishQualityUpdate: ZegoCallbacks['onPublishQualityUpdate'] = noop;
  onStreamUrlUpdate: ZegoCallbacks['onStreamUrlUpdate'] = noop;
  onRemoteCameraStatusUpdate: ZegoCallbacks['onRemoteCameraStatusUpdate'] = noop;
  onRemoteMicStatusUpdate: ZegoCallbacks['onRemoteMicStatusUpdate'] = noop;
  onScreenSharingEnded: ZegoCallbacks['onScreenSharingEnded'] = noop;

  /** Internal: the logger (media module and tests use it). */
  readonly _log: Logger;
  /** Internal: the room session (the media module plugs in here). */
  readonly _room: Room;
  private _configured = false;
  private _unloadHandler: (() => void) | null = null;

  constructor() {
    this._log = new Logger(() => this.logContext());
    this._room = new Room(
      this._log,
      (name, ...args) => this.emit(name, args),
      (name, fn, ...args) => safeCall(this._log, name, fn, args),
    );
    this.installUnloadHandler();
  }

  // ------------------------------------------------------------ configuration

  /** Reference §1.1. Returns false (and changes nothing) if a required option is missing or mistyped. */
  config(option: ZegoConfigOption): boolean {
    if (typeof option !== 'object' || option === null) return this.invalid('config', 'option must be an object');
    // The identity (appid, idName, servers) belongs to the session in progress; change it between sessions.
    if (this._room.state !== 'logout') return this.invalid('config', 'cannot change the configuration while logged in; logout first');
    const o = option as unknown as Record<string, unknown>;
    if (!isFiniteNumber(o.appid) || o.appid === 0) return this.invalid('config', 'appid must be a non-zero number');
    const servers = normalizeServers(o.server);
    if (servers === null) return this.invalid('config', 'server must be a non-empty string or array of strings');
    if (!isNonEmptyString(o.idName)) return this.invalid('config', 'idName must be a non-empty string');
    if (!isString(o.nickName)) return this.invalid('config', 'nickName must be a string');
    if (!isFiniteNumber(o.logLevel)) return this.invalid('config', 'logLevel must be a number');
    if (o.remoteLogLevel !== undefined && !isFiniteNumber(o.remoteLogLevel)) {
      return this.invalid('config', 'remoteLogLevel must be a number');
    }
    if (o.logUrl !== undefined && o.logUrl !== null && !isString(o.logUrl)) return this.invalid('config', 'logUrl must be a string');
    if (o.audienceCreateRoom !== undefined && !isBoolean(o.audienceCreateRoom)) {
      return this.invalid('config', 'audienceCreateRoom must be a boolean');
    }
    const identity: RoomIdentity = {
      appid: o.appid,
      servers,
      idName: o.idName,
      nickName: o.nickName,
      audienceCreateRoom: o.audienceCreateRoom !== false,
    };
    this._room.identity = identity;
    this._log.setLocalLevel(o.logLevel);
    this._log.setRemoteLevel(isFiniteNumber(o.remoteLogLevel) ? o.remoteLogLevel : LogLevel.debug);
    if (isNonEmptyString(o.logUrl)) this._log.openRemote(o.logUrl);
    this._configured = true;
    this._log.info(`zc.config appid=${identity.appid} server=${servers.join(',')} idName=${identity.idName}`);
    return true;
  }

  /** Reference §1.27. Applies from the next login. */
  setUserStateUpdate(update: boolean): boolean {
    if (!isBoolean(update)) return this.invalid('setUserStateUpdate', 'update must be a boolean');
    this._room.userStateUpdate = update;
    return true;
  }

  // ------------------------------------------------------------ login / logout

  /** Reference §1.2. */
  login(roomid: string, role: number, token: string, success: (streamList: StreamInfo[]) => void, error: (err: ZegoError) => void): boolean {
    return this.startLogin('login', roomid, role, token, '', success, error);
  }

  /** Reference §1.3. */
  loginWithAuthor(
    roomid: string,
    role: number,
    token: string,
    thirdToken: string,
    success: (streamList: StreamInfo[]) => void,
    error: (err: ZegoError) => void,
  ): boolean {
    if (!isString(thirdToken)) return this.invalid('loginWithAuthor', 'thirdToken must be a string');
    return this.startLogin('loginWithAuthor', roomid, role, token, thirdToken, success, error);
  }

  /** Reference §1.4. False if not logged in (or logging in). */
  logout(): boolean {
    const r = this._room.logout();
    if (!r) this._log.info('zc.logout not logged in');
    return r;
  }

  /** Reference §1.26: logout, and stop remote logging. */
  release(): boolean {
    this._room.logout();
    this._log.closeRemote();
    if (this._unloadHandler !== null && typeof window !== 'undefined') {
      window.removeEventListener('beforeunload', this._unloadHandler);
      window.removeEventListener('pagehide', this._unloadHandler);
    }
    this._unloadHandler = null;
    return true;
  }

  // ------------------------------------------------------------ messaging

  /** Reference §1.5. success(seq, customContent) / error(err, seq, customContent). */
  sendCustomCommand(
    dstMembers: string[],
    customContent: string | Record<string, unknown>,
    success: (seq: number, customContent: unknown) => void,
    error: (err: ZegoError, seq: number, customContent: unknown) => void,
  ): boolean {
    const api = 'sendCustomCommand';
    if (!isNonEmptyStringArray(dstMembers)) return this.invalid(api, 'dstMembers must be a non-empty array of idNames (no room broadcast)');
    if (!isString(customContent) && (typeof customContent !== 'object' || customContent === null)) {
      return this.invalid(api, 'customContent must be a string or an object');
    }
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    return this._room.sendCustomCommand(dstMembers, customContent, success, error) >= 0;
  }

  /** Reference §1.25. At most one message per 500 ms; faster sends get ZegoClient.Error.requencyLimited. */
  sendRoomMsg(
    msg_category: number,
    msg_type: number,
    msg_content: string,
    success: (seq: number, msgId: number, msg_category: number, msg_type: number, msg_content: string) => void,
    error: (err: ZegoError, seq: number, msg_category: number, msg_type: number, msg_content: string) => void,
  ): boolean {
    const api = 'sendRoomMsg';
    if (!isFiniteNumber(msg_category)) return this.invalid(api, 'msg_category must be a number');
    if (!isFiniteNumber(msg_type)) return this.invalid(api, 'msg_type must be a number');
    if (!isString(msg_content)) return this.invalid(api, 'msg_content must be a string');
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    return this._room.sendRoomMsg(msg_category, msg_type, msg_content, success, error);
  }

  /** Reference §1.28. success(seq) / error(err, seq). */
  sendReliableMessage(type: string, data: string, success: (seq: number) => void, error: (err: ZegoError, seq: number) => void): boolean {
    const api = 'sendReliableMessage';
    if (!isNonEmptyString(type) || utf8Length(type) > RELIABLE_TYPE_MAX_BYTES) {
      return this.invalid(api, `type must be a non-empty string of at most ${RELIABLE_TYPE_MAX_BYTES} bytes`);
    }
    if (!isString(data)) return this.invalid(api, 'data must be a string');
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    return this._room.reliable.send(type, data, success, error) >= 0;
  }

  /** Reference §1.29. success(seq, result) / error(err, seq). Jittered over the server's dati window. */
  sendRelayMessage(
    type: string,
    data: string,
    success: (seq: number, result: string) => void,
    error: (err: ZegoError, seq: number) => void,
  ): boolean {
    const api = 'sendRelayMessage';
    if (!isNonEmptyString(type)) return this.invalid(api, 'type must be a non-empty string');
    if (!isString(data)) return this.invalid(api, 'data must be a string');
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    this._room.relay.enqueue({ type, data, ok: success, err: error });
    return true;
  }

  /** Reference §1.30. success(seq, messageId) / error(err, seq). Batched per server bigim window. */
  sendBigRoomMessage(
    msg_category: number,
    msg_type: number,
    msg_content: string,
    success: (seq: number, messageId: string) => void,
    error: (err: ZegoError, seq: number) => void,
  ): boolean {
    const api = 'sendBigRoomMessage';
    if (!isFiniteNumber(msg_category)) return this.invalid(api, 'msg_category must be a number');
    if (!isFiniteNumber(msg_type)) return this.invalid(api, 'msg_type must be a number');
    if (!isString(msg_content)) return this.invalid(api, 'msg_content must be a string');
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    this._room.bigRoom.enqueue({ category: msg_category, type: msg_type, content: msg_content, ok: success, err: error });
    return true;
  }

  // ------------------------------------------------------------ join-live

  /** Reference §1.21. */
  requestJoinLive(
    destIdName: string,
    success: (seq: number) => void,
    error: (err: ZegoError, seq: number) => void,
    resultCallback: (result: boolean, fromUserId: string, fromUserName: string) => void,
  ): boolean {
    return this.askJoinLive('requestJoinLive', destIdName, success, error, resultCallback);
  }

  /** Reference §1.22. */
  inviteJoinLive(
    destIdName: string,
    success: (seq: number) => void,
    error: (err: ZegoError, seq: number) => void,
    resultCallback: (result: boolean, fromUserId: string, fromUserName: string) => void,
  ): boolean {
    return this.askJoinLive('inviteJoinLive', destIdName, success, error, resultCallback);
  }

  /** Reference §1.23. False if requestId was not received (or was already answered). */
  respondJoinLive(requestId: string, respondResult: boolean, success: (seq: number) => void, error: (err: ZegoError, seq: number) => void): boolean {
    const api = 'respondJoinLive';
    if (!isNonEmptyString(requestId)) return this.invalid(api, 'requestId must be a non-empty string');
    if (!isBoolean(respondResult)) return this.invalid(api, 'respondResult must be a boolean');
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    if (!this._room.joinLive.hasReceived(requestId)) return this.invalid(api, `no pending request ${requestId}`);
    return this._room.joinLive.respond(requestId, respondResult, success, error);
  }

  /** Reference §1.24. */
  endJoinLive(destIdName: string, success: (seq: number) => void, error: (err: ZegoError, seq: number) => void): boolean {
    const api = 'endJoinLive';
    if (!isNonEmptyString(destIdName)) return this.invalid(api, 'destIdName must be a non-empty string');
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    return this._room.joinLive.end(destIdName, success, error) >= 0;
  }

  // ------------------------------------------------------------ streams

  /** Reference §1.15. Stores the info; sends it if the stream is announced in the room (true either way). */
  updateStreamExtraInfo(streamid: string, extraInfo: string): boolean {
    const api = 'updateStreamExtraInfo';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    if (!isString(extraInfo)) return this.invalid(api, 'extraInfo must be a string');
    return this._room.localStreams.updateExtraInfo(streamid, extraInfo);
  }

  /**
   * Reference §1.16: the CDN URLs of a stream (by id, or the first stream of the room) that this page can play,
   * de-duplicated; an empty array when none fits (or no such stream). Returns false for a non-string id.
   */
  filterStreamList(streamId?: string): string[] | false {
    if (streamId !== undefined && !isString(streamId)) return this.invalid('filterStreamList', 'streamId must be a string');
    const g = globalThis as unknown as { navigator?: { userAgent?: string }; location?: { protocol?: string } };
    const ua = g.navigator && typeof g.navigator.userAgent === 'string' ? g.navigator.userAgent : '';
    const protocol = g.location && typeof g.location.protocol === 'string' ? g.location.protocol : '';
    return playableUrls(pickStream(this._room.streams.list(), streamId), ua, protocol);
  }

  // ------------------------------------------------------------ internals

  private startLogin(api: string, roomid: unknown, role: unknown, token: unknown, thirdToken: string, success: unknown, error: unknown): boolean {
    if (!isNonEmptyString(roomid)) return this.invalid(api, 'roomid must be a non-empty string');
    if (role !== 1 && role !== 2) return this.invalid(api, 'role must be 1 (anchor) or 2 (audience)');
    if (!isString(token)) return this.invalid(api, 'token must be a string');
    if (!this.callbacksOk(api, success, error)) return false;
    if (!this._configured) {
      this._log.error(`zc.${api} config() has not succeeded`);
      safeCall(this._log, `${api}.error`, error, [paramError('config is not set.')]);
      return false;
    }
    this._room.login(roomid, role, token, thirdToken, success, error);
    return true;
  }

  private askJoinLive(api: 'requestJoinLive' | 'inviteJoinLive', dest: unknown, success: unknown, error: unknown, resultCallback: unknown): boolean {
    if (!isNonEmptyString(dest)) return this.invalid(api, 'destIdName must be a non-empty string');
    if (!this.callbacksOk(api, success, error)) return false;
    if (!isFunction(resultCallback)) return this.invalid(api, 'resultCallback must be a function');
    if (!this.loggedIn(api)) return false;
    const jl = this._room.joinLive;
    return (api === 'requestJoinLive' ? jl.request(dest, success, error, resultCallback) : jl.invite(dest, success, error, resultCallback)) >= 0;
  }

  private callbacksOk(api: string, success: unknown, error: unknown): boolean {
    if (!isFunction(success)) return this.invalid(api, 'success must be a function');
    if (!isFunction(error)) return this.invalid(api, 'error must be a function');
    return true;
  }

  private loggedIn(api: string): boolean {
    if (this._room.isLoggedIn) return true;
    return this.invalid(api, 'not logged in');
  }

  private invalid(api: string, why: string): false {
    this._log.error(`zc.${api}.param ${why}`);
    return false;
  }

  private emit(name: string, args: unknown[]): void {
    this._log.debug(`zc.callback.${name}`);
    safeCall(this._log, name, (this as unknown as Record<string, unknown>)[name], args);
  }

  private logContext(): LogContext {
    const r = this._room;
    // userid/userName follow the SDK's own convention (as in custom_msg: from_userid = idName,
    // from_username = nickName); the collector files lines per userid.
    return {
      appid: r.identity ? r.identity.appid : 0,
      roomid: r.roomId,
      userid: r.identity ? r.identity.idName : '',
      userName: r.identity ? r.identity.nickName : '',
      sessionid: r.sessionId,
    };
  }

  private installUnloadHandler(): void {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    const handler = (): void => {
      if (this._room.state !== 'logout') this._room.logout();
    };
    this._unloadHandler = handler;
    // iOS Safari does not fire beforeunload reliably; pagehide covers it.
    window.addEventListener('beforeunload', handler);
    window.addEventListener('pagehide', handler);
  }
}
