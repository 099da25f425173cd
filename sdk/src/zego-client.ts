/**
 * ZegoClient: the public class of the API reference. This facade validates arguments (an invalid call never
 * throws: it logs and returns false), keeps the configuration and the application callbacks, and delegates to
 * the room session (room/room.ts) and the media module (media/media.ts: devices, preview, publish, play,
 * quality, and the media toolkit: effects, audio mixing, levels, screen sharing; recording and snapshots are static),
 * server-side mixing (room/mix-stream.ts) and CDN relay (room/publish-target.ts).
 */
import type { ZegoCallbacks } from './callbacks';
import { ErrorCode, paramError, type ZegoError } from './errors';
import type { LogContext } from './logging/format';
import { LogLevel } from './logging/levels';
import { Logger } from './logging/logger';
import { Room, type RoomIdentity } from './room/room';
import {
  DEFAULT_RECONNECT_MAX_ATTEMPTS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  RECONNECT_MAX_ATTEMPTS_LIMIT,
  RECONNECT_MAX_DELAY_CAP_MS,
  RECONNECT_MIN_DELAY_CAP_MS,
} from './room/login-retry';
import type { StreamInfo } from './room/stream-list';
import { pickStream, playableUrls } from './room/stream-filter';
import { PublishTarget, type CdnPublishConfig, type PublishTargetError } from './room/publish-target';
import { checkStopConfig, checkUpdateConfig, MixStream, type MixStreamConfig, type MixStreamInfo } from './room/mix-stream';
import type { PreviewOptions } from './media/constraints';
import { enumerateDevices, errorName, hasGetUserMedia, videoCodecSupport, type DeviceInfo } from './media/devices';
import { MediaModule } from './media/media';
import type { PlayType } from './media/player';
import { MIN_QUALITY_CYCLE_MS } from './media/quality';
import { parseVideoCodec } from './media/sdp';
import type { AudioMixConfig } from './media/effects';
import { pauseRecord, resumeRecord, saveRecord, startRecord, stopRecord } from './media/recorder';
import { screenSharingSupported, type ScreenCallback } from './media/screen';
import { saveSnapShot, takeSnapShot } from './media/snapshot';
import { invalidStatic, staticLog } from './media/static-log';
import type { SoundMeter } from './media/sound-meter';
import { DEFAULT_AUDIO_BITRATE } from './media/constraints';
import { safeCall } from './safe-emit';
import {
  isBoolean,
  isFiniteNumber,
  isFunction,
  isNonEmptyString,
  isNonEmptyStringArray,
  isPlainObject,
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
  /**
   * Liveroom option: attempts of a login, and of the re-login after a dropped connection, before giving up
   * (login error / onDisconnect). Integer 1…1000, default 12.
   */
  reconnectMaxAttempts?: number;
  /**
   * Liveroom option: cap of one wait between two attempts, in ms (100…300000, default 10000). The waits are
   * exponential backoff with full jitter: the n-th is random in [0, min(reconnectMaxDelayMs, 1000·2^(n−1))).
   */
  reconnectMaxDelayMs?: number;
}

/** publishOption of startPublishingStream (reference §1.12), plus Liveroom's iceTransportPolicy. */
export interface PublishOption {
  streamParams?: string;
  cdnUrl?: string;
  videoDecodeType?: string;
  /** 'relay': relay-only ICE through the server's TURN relay (when it has one). Default 'all'. */
  iceTransportPolicy?: 'all' | 'relay';
}

/** playOption of startPlayingStream (reference §1.17), plus Liveroom's iceTransportPolicy. */
export interface PlayOption {
  playType?: PlayType;
  streamParams?: string;
  videoDecodeType?: string;
  iceTransportPolicy?: 'all' | 'relay';
}

/** Result of supportDetection (reference §3.1). */
export interface SupportResult {
  webRtc: boolean;
  capture: boolean;
  screenSharing: boolean;
  videoDecodeType: { H264: boolean; VP8: boolean };
}

/** Reference §1.28: a reliable message type is 1..128 bytes. */
export const RELIABLE_TYPE_MAX_BYTES = 128;

const noop = (): void => undefined;

function isMediaElement(v: unknown): v is HTMLMediaElement {
  return typeof v === 'object' && v !== null && 'srcObject' in v && typeof (v as { play?: unknown }).play === 'function';
}

function isMediaStream(v: unknown): v is MediaStream {
  return typeof v === 'object' && v !== null && typeof (v as { getTracks?: unknown }).getTracks === 'function';
}

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

  /** Reference §3.3: sucCallBack(true|false) — whether the browser can send H.264. */
  static isSupportH264(sucCallBack: (supported: boolean) => void, errCallBack?: (err: unknown) => void): void {
    if (!isFunction(sucCallBack)) return void invalidStatic('isSupportH264', 'sucCallBack must be a function');
    const call = (fn: unknown, arg: unknown) => {
      try {
        if (typeof fn === 'function') (fn as (a: unknown) => void)(arg);
      } catch {
        /* the application's callback threw */
      }
    };
    try {
      videoCodecSupport().then(
        (r) => call(sucCallBack, r.H264),
        (e: unknown) => call(errCallBack, e),
      );
    } catch (e) {
      call(errCallBack, e);
    }
  }

  /** Reference §3.1: success({webRtc, capture, screenSharing, videoDecodeType:{H264, VP8}}). */
  static supportDetection(success: (result: SupportResult) => void, error?: (err: unknown) => void): void {
    if (!isFunction(success)) return void invalidStatic('supportDetection', 'success must be a function');
    const call = (fn: unknown, arg: unknown) => {
      try {
        if (typeof fn === 'function') (fn as (a: unknown) => void)(arg);
      } catch {
        /* the application's callback threw */
      }
    };
    const base = {
      webRtc: ZegoClient.isSupportWebrtc(),
      capture: hasGetUserMedia(),
      // getDisplayMedia, or old Firefox's getUserMedia mediaSource
      screenSharing: screenSharingSupported(),
    };
    try {
      videoCodecSupport().then(
        (v) => call(success, { ...base, videoDecodeType: v }),
        (e: unknown) => call(error, e),
      );
    } catch (e) {
      call(error, e);
    }
  }

  /**
   * Reference §1.6, static as well as on instances: "can be called without a ZegoClient object" (apps fill their
   * device pickers before creating a client). Both callbacks must be functions, else `false` and a log line.
   */
  static enumDevices(deviceInfoCallback: (deviceInfo: DeviceInfo) => void, errorCallback: (error: unknown) => void): boolean {
    if (!isFunction(deviceInfoCallback)) return invalidStatic('enumDevices', 'deviceInfoCallback must be a function');
    if (!isFunction(errorCallback)) return invalidStatic('enumDevices', 'errorCallback must be a function');
    enumerateDevices().then(
      (info) => safeCall(staticLog, 'enumDevices.success', deviceInfoCallback, [info]),
      (e: unknown) => {
        staticLog.error(`zm.enumDevices failed ${errorName(e)}`);
        safeCall(staticLog, 'enumDevices.error', errorCallback, [e]);
      },
    );
    return true;
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
  /** Internal: previews, publishers, players (tests reach the peer connections through it). */
  readonly _media: MediaModule;
  private readonly _mix: MixStream;
  private _configured = false;
  private _unloadHandler: (() => void) | null = null;

  constructor() {
    this._log = new Logger(() => this.logContext());
    this._room = new Room(
      this._log,
      (name, ...args) => this.emit(name, args),
      (name, fn, ...args) => safeCall(this._log, name, fn, args),
    );
    this._media = new MediaModule(
      this._room,
      this._log,
      (name, ...args) => this.emit(name, args),
      (name, fn, ...args) => safeCall(this._log, name, fn, args),
    );
    this._mix = new MixStream({
      request: (cmd, body, h) => this._room.request(cmd, body, h),
      call: (name, fn, ...args) => safeCall(this._log, name, fn, args),
      appid: () => (this._room.identity ? this._room.identity.appid : 0),
      idName: () => (this._room.identity ? this._room.identity.idName : ''),
      roomId: () => this._room.roomId,
    });
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
    const maxAttempts = o.reconnectMaxAttempts ?? DEFAULT_RECONNECT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || (maxAttempts as number) < 1 || (maxAttempts as number) > RECONNECT_MAX_ATTEMPTS_LIMIT) {
      return this.invalid('config', `reconnectMaxAttempts must be an integer 1…${RECONNECT_MAX_ATTEMPTS_LIMIT}`);
    }
    const maxDelayMs = o.reconnectMaxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS;
    if (!isFiniteNumber(maxDelayMs) || maxDelayMs < RECONNECT_MIN_DELAY_CAP_MS || maxDelayMs > RECONNECT_MAX_DELAY_CAP_MS) {
      return this.invalid('config', `reconnectMaxDelayMs must be a number ${RECONNECT_MIN_DELAY_CAP_MS}…${RECONNECT_MAX_DELAY_CAP_MS}`);
    }
    const identity: RoomIdentity = {
      appid: o.appid,
      servers,
      idName: o.idName,
      nickName: o.nickName,
      audienceCreateRoom: o.audienceCreateRoom !== false,
    };
    this._room.identity = identity;
    this._room.reconnect = { maxAttempts: maxAttempts as number, maxDelayMs };
    this._log.setLocalLevel(o.logLevel);
    this._log.setRemoteLevel(isFiniteNumber(o.remoteLogLevel) ? o.remoteLogLevel : LogLevel.debug);
    if (isNonEmptyString(o.logUrl)) this._log.openRemote(o.logUrl);
    this._configured = true;
    this._log.info(
      `zc.config appid=${identity.appid} server=${servers.join(',')} idName=${identity.idName} reconnect=${String(maxAttempts)}×≤${maxDelayMs} ms`,
    );
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

  /** Reference §1.26: logout (publishers and players stop), previews stop, remote logging stops. */
  release(): boolean {
    this._room.logout();
    this._media.release();
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

  private _publishTarget: PublishTarget | null = null;

  /**
   * Reference §1.41: relay a stream this client publishes to an RTMP URL (type addpush), stop one relay (delpush)
   * or all of the stream's relays (clearpush). ok() / err({code, message}) with the server's code (docs/protocol.md).
   */
  publishTarget(cdnPublishConfig: CdnPublishConfig, success: () => void, error: (err: PublishTargetError) => void): boolean {
    const api = 'publishTarget';
    const c = cdnPublishConfig as Partial<CdnPublishConfig> | null;
    if (c === null || typeof c !== 'object') return this.invalid(api, 'cdnPublishConfig must be an object');
    if (c.type !== 'addpush' && c.type !== 'delpush' && c.type !== 'clearpush') {
      return this.invalid(api, 'type must be addpush, delpush or clearpush');
    }
    for (const k of ['streamId', 'pushUrl', 'appSecret'] as const) {
      if (!isNonEmptyString(c[k])) return this.invalid(api, `${k} must be a non-empty string`);
    }
    if (!this.callbacksOk(api, success, error) || !this.loggedIn(api)) return false;
    if (!this._media.publishers.has(c.streamId as string)) return this.invalid(api, `not publishing ${c.streamId as string}`);
    if (this._publishTarget === null) {
      this._publishTarget = new PublishTarget({
        request: (cmd, body, h) => this._room.request(cmd, body, h),
        call: (name, fn, ...args) => safeCall(this._log, name, fn, args),
        appid: () => (this._room.identity ? this._room.identity.appid : 0),
        version: SDK_VERSION,
        nowMs: () => Date.now(),
      });
    }
    return this._publishTarget.send(c as CdnPublishConfig, success, error);
  }

  // ------------------------------------------------------------ mixing

  /** Reference §1.31: starts or updates a server-side mix. success(outputStreamId, mixStreamInfo[]) / error(err, nonExistingInputIds). */
  updateMixStream(
    mixStreamConfig: MixStreamConfig,
    success: (mixStreamId: string | undefined, mixStreamInfo: MixStreamInfo[]) => void,
    error: (err: ZegoError, nonExistingInputIds?: string[]) => void,
  ): boolean {
    const why = checkUpdateConfig(mixStreamConfig);
    if (why !== null) return this.invalid('updateMixStream', why);
    if (!this.callbacksOk('updateMixStream', success, error) || !this.loggedIn('updateMixStream')) return false;
    return this._mix.update(mixStreamConfig, success, error);
  }

  /** Reference §1.32: stops a mix (by outputStreamId, else outputUrl). success() / error(err). */
  stopMixStream(mixStreamConfig: MixStreamConfig, success: () => void, error: (err: ZegoError) => void): boolean {
    const why = checkStopConfig(mixStreamConfig);
    if (why !== null) return this.invalid('stopMixStream', why);
    if (!this.callbacksOk('stopMixStream', success, error) || !this.loggedIn('stopMixStream')) return false;
    return this._mix.stop(mixStreamConfig, success, error);
  }


  // ------------------------------------------------------------ devices and preview

  /** Reference §1.6: deviceInfoCallback({microphones, speakers, cameras}); works without config(). */
  enumDevices(deviceInfoCallback: (deviceInfo: DeviceInfo) => void, errorCallback: (error: unknown) => void): boolean {
    // The instance form logs through the client's logger (its logLevel); ZegoClient.enumDevices is the static one.
    if (!this.callbacksOk('enumDevices', deviceInfoCallback, errorCallback)) return false;
    this._media.enumDevices(deviceInfoCallback, errorCallback);
    return true;
  }

  /**
   * Reference §1.7. success() / error(reason) with the DOMException name (NotAllowedError, NotFoundError,
   * OverconstrainedError…). False when the element already has a preview (no callback), or for invalid options.
   */
  startPreview(localVideo: HTMLMediaElement, mediaStreamConstraints: PreviewOptions, success: () => void, error: (reason: string) => void): boolean {
    const api = 'startPreview';
    if (!isMediaElement(localVideo)) return this.invalid(api, 'localVideo must be a <video> or <audio> element');
    if (!isPlainObject(mediaStreamConstraints)) return this.invalid(api, 'mediaStreamConstraints must be an object');
    if (!this.callbacksOk(api, success, error)) return false;
    const o = mediaStreamConstraints as PreviewOptions & Record<string, unknown>;
    if (o.audioBitRate !== undefined && (!isFiniteNumber(o.audioBitRate) || o.audioBitRate < DEFAULT_AUDIO_BITRATE)) {
      return this.invalid(api, `audioBitRate must be a number of at least ${DEFAULT_AUDIO_BITRATE}`);
    }
    if (o.externalMediaStream !== undefined && !isMediaStream(o.externalMediaStream)) return this.invalid(api, 'externalMediaStream must be a MediaStream');
    for (const k of ['audioInput', 'videoInput', 'facingMode'] as const) {
      if (o[k] !== undefined && o[k] !== null && !isString(o[k])) return this.invalid(api, `${k} must be a string`);
    }
    if (o.video === false && o.audio === false && o.externalMediaStream === undefined && o.externalCapture !== true) {
      return this.invalid(api, 'audio and video are both false');
    }
    return this._media.startPreview(localVideo, o, success, error);
  }

  /** Reference §1.8. False when the element has no preview. */
  stopPreview(localVideo: HTMLMediaElement): boolean {
    if (!isMediaElement(localVideo)) return this.invalid('stopPreview', 'localVideo must be a media element');
    return this._media.stopPreview(localVideo);
  }

  /** Reference §1.9: video tracks on or off; players get onRemoteCameraStatusUpdate(id, 0 | 2). */
  enableCamera(localVideo: HTMLMediaElement, enable: boolean): boolean {
    if (!isMediaElement(localVideo)) return this.invalid('enableCamera', 'localVideo must be a media element');
    if (!isBoolean(enable)) return this.invalid('enableCamera', 'enable must be a boolean');
    return this._media.previews.enable(localVideo, 'video', enable) || this.invalid('enableCamera', 'no preview on this element');
  }

  /** Reference §1.10: audio tracks on or off; players get onRemoteMicStatusUpdate(id, 0 | 2). */
  enableMicrophone(localVideo: HTMLMediaElement, enable: boolean): boolean {
    if (!isMediaElement(localVideo)) return this.invalid('enableMicrophone', 'localVideo must be a media element');
    if (!isBoolean(enable)) return this.invalid('enableMicrophone', 'enable must be a boolean');
    return this._media.previews.enable(localVideo, 'audio', enable) || this.invalid('enableMicrophone', 'no preview on this element');
  }

  /** Reference §1.11: `setSinkId` on the preview element (null = the default device). */
  setLocalAudioOutput(localVideo: HTMLMediaElement, audioOutput: string | null): boolean {
    if (!isMediaElement(localVideo)) return this.invalid('setLocalAudioOutput', 'localVideo must be a media element');
    if (audioOutput !== null && !isString(audioOutput)) return this.invalid('setLocalAudioOutput', 'audioOutput must be a string or null');
    return this._media.setLocalAudioOutput(localVideo, audioOutput === null ? '' : audioOutput) || this.invalid('setLocalAudioOutput', 'setSinkId is not supported');
  }

  /** Reference §1.13: another camera or microphone for the preview and every stream publishing it. */
  switchDevice(type: 'audio' | 'video', localVideo: HTMLMediaElement, deviceId: string, success?: () => void, error?: (err: unknown) => void): boolean {
    const api = 'switchDevice';
    if (type !== 'audio' && type !== 'video') return this.invalid(api, "type must be 'audio' or 'video'");
    if (!isMediaElement(localVideo)) return this.invalid(api, 'localVideo must be a media element');
    if (!isNonEmptyString(deviceId)) return this.invalid(api, 'deviceId must be a non-empty string');
    if (success !== undefined && !isFunction(success)) return this.invalid(api, 'success must be a function');
    if (error !== undefined && !isFunction(error)) return this.invalid(api, 'error must be a function');
    return this._media.switchDevice(type, localVideo, deviceId, success, error) || this.invalid(api, 'no camera/microphone preview on this element');
  }

  // ------------------------------------------------------------ publish and play

  /**
   * Reference §1.12. False when the element has no preview, the stream is already being published, or the room
   * is not logged in (unless setCustomSignalUrl gave a media URL). Progress: onPublishStateUpdate.
   */
  startPublishingStream(streamid: string, localVideo: HTMLMediaElement, extraInfo?: string, publishOption?: PublishOption): boolean {
    const api = 'startPublishingStream';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    if (!isMediaElement(localVideo)) return this.invalid(api, 'localVideo must be a media element');
    if (extraInfo !== undefined && extraInfo !== null && !isString(extraInfo)) return this.invalid(api, 'extraInfo must be a string');
    if (publishOption !== undefined && publishOption !== null && !isPlainObject(publishOption)) return this.invalid(api, 'publishOption must be an object');
    const o = (publishOption ?? {}) as Record<string, unknown>;
    for (const k of ['streamParams', 'cdnUrl'] as const) if (o[k] !== undefined && o[k] !== null && !isString(o[k])) return this.invalid(api, `${k} must be a string`);
    const codec = o.videoDecodeType === undefined || o.videoDecodeType === null || o.videoDecodeType === '' ? 'H264' : parseVideoCodec(o.videoDecodeType);
    if (codec === null) return this.invalid(api, "videoDecodeType must be 'H264' or 'VP8'");
    if (o.iceTransportPolicy !== undefined && o.iceTransportPolicy !== 'all' && o.iceTransportPolicy !== 'relay') {
      return this.invalid(api, "iceTransportPolicy must be 'all' or 'relay'");
    }
    if (!this._room.isLoggedIn && this._media.customSignalUrl === '') return this.invalid(api, 'not logged in');
    const preview = this._media.previews.get(localVideo);
    if (preview === undefined) return this.invalid(api, 'no preview on this element: startPreview first');
    return this._media.startPublishingStream(streamid, preview, isString(extraInfo) ? extraInfo : '', {
      streamParams: isString(o.streamParams) ? o.streamParams : '',
      cdnUrl: isString(o.cdnUrl) ? o.cdnUrl : '',
      codec,
      relayOnly: o.iceTransportPolicy === 'relay',
    });
  }

  /** Reference §1.14: ends the stream (others get onStreamUpdated(1, …)) and its preview. */
  stopPublishingStream(streamid: string): boolean {
    if (!isNonEmptyString(streamid)) return this.invalid('stopPublishingStream', 'streamid must be a non-empty string');
    return this._media.stopPublishingStream(streamid) || this.invalid('stopPublishingStream', `${streamid} is not being published`);
  }

  /**
   * Reference §1.17. False when the stream is already being played, or not logged in (unless
   * setCustomSignalUrl). The stream need not be in the room's list yet. Progress: onPlayStateUpdate.
   */
  startPlayingStream(streamid: string, remoteVideo: HTMLMediaElement, audioOutput?: string, playOption?: PlayOption): boolean {
    const api = 'startPlayingStream';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    if (!isMediaElement(remoteVideo)) return this.invalid(api, 'remoteVideo must be a media element');
    if (audioOutput !== undefined && audioOutput !== null && !isString(audioOutput)) return this.invalid(api, 'audioOutput must be a string');
    if (playOption !== undefined && playOption !== null && !isPlainObject(playOption)) return this.invalid(api, 'playOption must be an object');
    const o = (playOption ?? {}) as Record<string, unknown>;
    const playType = o.playType === undefined || o.playType === null || o.playType === '' ? 'all' : o.playType;
    if (playType !== 'all' && playType !== 'audio' && playType !== 'video') return this.invalid(api, "playType must be 'audio', 'video' or 'all'");
    if (o.streamParams !== undefined && o.streamParams !== null && !isString(o.streamParams)) return this.invalid(api, 'streamParams must be a string');
    const codec = o.videoDecodeType === undefined || o.videoDecodeType === null || o.videoDecodeType === '' ? null : parseVideoCodec(o.videoDecodeType);
    if (codec === null && o.videoDecodeType !== undefined && o.videoDecodeType !== null && o.videoDecodeType !== '') {
      return this.invalid(api, "videoDecodeType must be 'H264' or 'VP8'");
    }
    if (o.iceTransportPolicy !== undefined && o.iceTransportPolicy !== 'all' && o.iceTransportPolicy !== 'relay') {
      return this.invalid(api, "iceTransportPolicy must be 'all' or 'relay'");
    }
    if (!this._room.isLoggedIn && this._media.customSignalUrl === '') return this.invalid(api, 'not logged in');
    return this._media.startPlayingStream(streamid, remoteVideo, isString(audioOutput) ? audioOutput : '', {
      streamParams: isString(o.streamParams) ? o.streamParams : '',
      codec,
      playType,
      relayOnly: o.iceTransportPolicy === 'relay',
    });
  }

  /** Reference §1.18. */
  stopPlayingStream(streamid: string): boolean {
    if (!isNonEmptyString(streamid)) return this.invalid('stopPlayingStream', 'streamid must be a non-empty string');
    return this._media.stopPlayingStream(streamid) || this.invalid('stopPlayingStream', `${streamid} is not being played`);
  }

  /** Reference §1.19: `setSinkId` on the played stream's element. */
  setPlayAudioOutput(streamid: string, audioOutput: string): boolean {
    if (!isNonEmptyString(streamid)) return this.invalid('setPlayAudioOutput', 'streamid must be a non-empty string');
    if (!isString(audioOutput)) return this.invalid('setPlayAudioOutput', 'audioOutput must be a string');
    return this._media.setPlayAudioOutput(streamid, audioOutput) || this.invalid('setPlayAudioOutput', `${streamid} is not being played, or no setSinkId`);
  }

  /** Reference §1.20: quality callback period in ms (≥ 1000; default 3000). Applies to running streams too. */
  setQualityMonitorCycle(timeInMS: number): boolean {
    if (!isFiniteNumber(timeInMS) || timeInMS < MIN_QUALITY_CYCLE_MS) return this.invalid('setQualityMonitorCycle', `timeInMS must be a number ≥ ${MIN_QUALITY_CYCLE_MS}`);
    this._media.setQualityMonitorCycle(timeInMS);
    return true;
  }

  /** Notes §7.1: a media-signalling URL (ws:/wss:) used instead of dispatch; '' goes back to dispatch. */
  setCustomSignalUrl(signalUrl: string): boolean {
    if (!isString(signalUrl) || (signalUrl !== '' && !/^wss?:\/\//i.test(signalUrl))) {
      return this.invalid('setCustomSignalUrl', 'signalUrl must be a ws:// or wss:// URL (or empty)');
    }
    this._media.customSignalUrl = signalUrl;
    return true;
  }

  // ------------------------------------------------------------ media toolkit (media/effects.ts, screen.ts, recorder.ts, snapshot.ts)
  // Each method validates its arguments in its module: invalid input logs `zc.<api>.param …` and returns false.

  /** Reference §1.33: callBack() once decoded, callBack({code, msg}) when loading or decoding fails. */
  preloadEffect(id: number, effectUrl: string, callBack?: (err?: ZegoError) => void): boolean {
    return this._media.effects.preloadEffect(id, effectUrl, callBack);
  }

  /** Reference §1.34: mixes a preloaded effect into a published stream (playTime in ms). */
  playEffect(audioMixConfig: AudioMixConfig, start?: () => void, end?: () => void): boolean {
    return this._media.effects.playEffect(audioMixConfig, start, end);
  }

  /** Reference §1.35. */
  pauseEffect(streamid: string): boolean {
    return this._media.effects.pauseEffect(streamid);
  }

  /** Reference §1.36. */
  resumeEffect(streamid: string): boolean {
    return this._media.effects.resumeEffect(streamid);
  }

  /** Reference §1.37. */
  unloadEffect(effectid: number): boolean {
    return this._media.effects.unloadEffect(effectid);
  }

  /** Reference §1.38: mixes what an `<audio>` element plays into a published stream. */
  startMixingAudio(streamid: string, localaudio: HTMLMediaElement, replace: boolean): boolean {
    return this._media.effects.startMixingAudio(streamid, localaudio, replace);
  }

  /** Reference §1.39. */
  stopMixingAudio(streamid: string): boolean {
    return this._media.effects.stopMixingAudio(streamid);
  }

  /** Reference §1.40: 0–100 (100 = the source's volume), for effects and the mixed element. */
  setMixingAudioVolume(streamid: string, volume: number): boolean {
    return this._media.effects.setMixingAudioVolume(streamid, volume);
  }

  /** Reference §3.5: an object whose `instant` is the live level of the element's audio; false after error({code, msg}). */
  getAudioInfo(localVideo: HTMLMediaElement, error: (err: ZegoError) => void): SoundMeter | false {
    if (!isMediaElement(localVideo)) return this.invalid('getAudioInfo', 'localVideo must be a media element');
    if (!isFunction(error)) return this.invalid('getAudioInfo', 'error must be a function');
    const meter = this._media.audioInfo(localVideo, (why) => {
      this._log.error(`zc.getAudioInfo ${why}`);
      safeCall(this._log, 'getAudioInfo.error', error, [paramError(why)]);
    });
    return meter === null ? false : meter;
  }

  /** Reference §4.3.3: callback(true, stream) / callback(false, reason). */
  startScreenSharing(screenConfig: { frameRate?: number }, audio: boolean, callback: ScreenCallback): boolean {
    return this._media.screen.startScreenSharing(screenConfig, audio, callback);
  }

  /** Reference §4.3.2 (getDisplayMedia today; the extension protocol where it is missing). */
  startScreenShotChrome(callback: ScreenCallback): boolean {
    return this._media.screen.startScreenShotChrome(callback);
  }

  /** Reference §4.3.1 (sic). */
  startScreenShotFirFox(mediaSource: 'screen' | 'application' | 'window', audio: boolean, callback: ScreenCallback): boolean {
    return this._media.screen.startScreenShotFirFox(mediaSource, audio, callback);
  }

  /** Reference §4.3.4. */
  stopScreenShot(): boolean {
    return this._media.screen.stopScreenShot();
  }

  /** Reference §3.6 (static). */
  static takeSnapShot(videoElement: HTMLVideoElement, imgElement: HTMLImageElement): boolean {
    return takeSnapShot(videoElement, imgElement);
  }

  /** Reference §3.6 (static): downloads `<name>.jpg`. */
  static saveSnapShot(videoElement: HTMLVideoElement, name: string): boolean {
    return saveSnapShot(videoElement, name);
  }

  /** Reference §3.7 (static). */
  static startRecord(videoElement: HTMLMediaElement, constraints?: { audio?: boolean; audioInput?: string | boolean }): boolean {
    return startRecord(videoElement, constraints);
  }

  /** Reference §3.8 (static). */
  static pauseRecord(): boolean {
    return pauseRecord();
  }

  /** Reference §3.9 (static). */
  static resumeRecord(): boolean {
    return resumeRecord();
  }

  /** Reference §3.10 (static). */
  static stopRecord(): boolean {
    return stopRecord();
  }

  /** Reference §3.11 (static): downloads `<name>.webm`. */
  static saveRecord(name: string): boolean {
    return saveRecord(name);
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
