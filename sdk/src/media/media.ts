/**
 * The media module: previews, publishers, players, the media-signalling connections and the quality cycle,
 * plugged into the room (notes §7). The public class validates arguments and delegates here. It joins the room
 * through its extension hooks (logout, kick-out and fatal errors stop every publisher and player), its
 * `webrtc_url` dispatch request, its own-stream registration (room/local-streams.ts) and its login token.
 */
import type { Random } from '../backoff';
import type { ZegoError } from '../errors';
import type { Logger } from '../logging/logger';
import type { Room } from '../room/room';
import { SDK_VERSION } from '../version';
import type { WebrtcUrlReq } from '../wire/generated/WebrtcUrlReq';
import type { PreviewOptions } from './constraints';
import { enumerateDevices, errorName, setSinkId, type DeviceInfo } from './devices';
import type { Endpoint, EndpointDeps } from './endpoint';
import type { MediaErrorKey } from './errors';
import { Player, type PlayType } from './player';
import { Previews, type Preview } from './preview';
import { AudioEffects } from './effects';
import { Publisher } from './publisher';
import { DEFAULT_QUALITY_CYCLE_MS } from './quality';
import { ScreenSharing } from './screen';
import type { VideoCodec } from './sdp';
import { SignalPool } from './signal';
import { createSoundMeter, type SoundMeter } from './sound-meter';
import { elementStream, SharedAudioContext } from './web-audio';

export type Emit = (name: string, ...args: unknown[]) => void;
export type CallUser = (name: string, fn: unknown, ...args: unknown[]) => void;

/** `1.12.2` → 1122 (minor padded to two digits, notes §10). */
export function sdkVersionNumber(v: string): number {
  const [a, b, c] = v.split('.').map((x) => parseInt(x, 10) || 0);
  return Number(`${a}${String(b).padStart(2, '0')}${c}`);
}

export interface PublishOptions {
  streamParams: string;
  cdnUrl: string;
  codec: VideoCodec;
  relayOnly: boolean;
}

export interface PlayOptions {
  streamParams: string;
  codec: VideoCodec | null;
  playType: PlayType;
  relayOnly: boolean;
}

export class MediaModule {
  readonly previews: Previews;
  readonly publishers = new Map<string, Publisher>();
  readonly players = new Map<string, Player>();
  readonly pool: SignalPool;
  qualityCycleMs = DEFAULT_QUALITY_CYCLE_MS;
  customSignalUrl = '';
  /** Media toolkit: Web Audio (effects, mixing, levels) and screen sharing. */
  readonly audio: SharedAudioContext;
  readonly effects: AudioEffects;
  readonly screen: ScreenSharing;

  constructor(
    private readonly room: Room,
    private readonly log: Logger,
    private readonly emit: Emit,
    private readonly callUser: CallUser,
    private readonly random: Random = Math.random,
  ) {
    this.audio = new SharedAudioContext(log);
    this.effects = new AudioEffects(log, this.audio, (id) => this.publishers.get(id), callUser);
    this.screen = new ScreenSharing(log, (stream) => emit('onScreenSharingEnded', stream), callUser);
    this.previews = new Previews(log, {
      trackReplaced: (p, kind, track) => {
        for (const pub of this.publishersOf(p)) {
          pub.replaceTrack(kind, track);
          if (kind === 'audio') this.effects.micReplaced(pub.streamId, track);
        }
      },
      statusChanged: (p) => {
        for (const pub of this.publishersOf(p)) pub.sendStatus();
      },
    });
    const room_ = room;
    this.pool = new SignalPool(
      {
        get appid() {
          return room_.identity ? room_.identity.appid : 0;
        },
        get idName() {
          return room_.identity ? room_.identity.idName : '';
        },
        login: () => ({
          token: room_.loginToken,
          roomid: room_.roomId,
          anchorname: room_.anchorInfo ? room_.anchorInfo.anchor_id : '',
        }),
        sdkVersion: SDK_VERSION,
      },
      log,
      random,
    );
    room.addExtension({ onReset: () => this.stopStreams('room reset') });
  }

  // ------------------------------------------------------------------ devices and previews

  enumDevices(ok: (info: DeviceInfo) => void, err: (e: unknown) => void): void {
    enumerateDevices().then(
      (info) => this.callUser('enumDevices.success', ok, info),
      (e: unknown) => {
        this.log.error(`zm.enumDevices failed ${errorName(e)}`);
        this.callUser('enumDevices.error', err, e);
      },
    );
  }

  startPreview(el: HTMLMediaElement, o: PreviewOptions, ok: unknown, err: unknown): boolean {
    return this.previews.start(
      el,
      o,
      () => this.callUser('startPreview.success', ok),
      (reason) => this.callUser('startPreview.error', err, reason),
    );
  }

  stopPreview(el: HTMLMediaElement): boolean {
    return this.previews.stop(el);
  }

  setLocalAudioOutput(el: HTMLMediaElement, id: string): boolean {
    return setSinkId(el, id, (e) => this.log.warn(`zm.setLocalAudioOutput ${errorName(e)}`));
  }

  switchDevice(kind: 'audio' | 'video', el: HTMLMediaElement, deviceId: string, ok: unknown, err: unknown): boolean {
    return this.previews.switchDevice(
      el,
      kind,
      deviceId,
      () => this.callUser('switchDevice.success', ok),
      (reason) => this.callUser('switchDevice.error', err, reason),
    );
  }

  // ------------------------------------------------------------------ publish

  startPublishingStream(streamId: string, preview: Preview, extraInfo: string, o: PublishOptions): boolean {
    if (this.publishers.has(streamId)) {
      this.log.error(`zm.publish.start ${streamId} is already being published`);
      return false;
    }
    if (this.room.isLoggedIn) this.room.localStreams.add(streamId, extraInfo);
    const deps = {
      ...this.endpointDeps('onPublishStateUpdate', () => {
        this.publishers.delete(streamId);
        this.effects.streamEnded(streamId);
      }),
      register: (id: string, done: (ok: boolean, err?: ZegoError) => void) => {
        // While the room re-logs in, the announcement waits for its first heartbeat answer.
        if (this.room.state === 'trylogin') return this.room.localStreams.register(id, done, false);
        return this.room.isLoggedIn && this.room.localStreams.register(id, done);
      },
      setRoomState: (id: string, state: number) => this.room.localStreams.setState(id, state),
      unregister: (id: string) => this.room.localStreams.remove(id),
      qualityCycle: () => this.qualityCycleMs,
      emitQuality: (id: string, q: Record<string, unknown>) => this.emit('onPublishQualityUpdate', id, q),
    };
    const pub = new Publisher(streamId, preview, { streamParams: o.streamParams, relayOnly: o.relayOnly, codec: o.codec }, deps);
    this.publishers.set(streamId, pub);
    this.log.info(`zm.publish.start ${streamId} codec=${o.codec} relayOnly=${o.relayOnly}`);
    pub.start(o.cdnUrl);
    return true;
  }

  /** Stops the publisher and (reference §1.14) the preview it sends. False when the stream is not published. */
  stopPublishingStream(streamId: string): boolean {
    const pub = this.publishers.get(streamId);
    if (pub === undefined) return false;
    this.publishers.delete(streamId);
    this.effects.streamEnded(streamId);
    pub.stop();
    this.log.info(`zm.publish.stop ${streamId}`);
    if (!Array.from(this.publishers.values()).some((p) => p.preview === pub.preview)) this.previews.stop(pub.preview.element);
    return true;
  }

  // ------------------------------------------------------------------ play

  startPlayingStream(streamId: string, el: HTMLMediaElement, audioOutput: string, o: PlayOptions): boolean {
    if (this.players.has(streamId)) {
      this.log.error(`zm.play.start ${streamId} is already being played`);
      return false;
    }
    if (this.room.isLoggedIn && !this.room.streams.list().some((s) => s.stream_id === streamId)) {
      this.log.warn(`zm.play.start ${streamId} is not in the room's stream list (yet); playing anyway`);
    }
    const deps = {
      ...this.endpointDeps('onPlayStateUpdate', () => this.players.delete(streamId)),
      qualityCycle: () => this.qualityCycleMs,
      emitQuality: (id: string, q: Record<string, unknown>) => this.emit('onPlayQualityUpdate', id, q),
      emitVideoSize: (id: string, w: number, h: number) => this.emit('onVideoSizeChanged', id, w, h),
      emitCamera: (id: string, s: number) => this.emit('onRemoteCameraStatusUpdate', id, s),
      emitMic: (id: string, s: number) => this.emit('onRemoteMicStatusUpdate', id, s),
    };
    const player = new Player(
      streamId,
      el,
      { streamParams: o.streamParams, relayOnly: o.relayOnly, codec: o.codec, playType: o.playType, audioOutput },
      deps,
    );
    this.players.set(streamId, player);
    this.log.info(`zm.play.start ${streamId} playType=${o.playType} codec=${String(o.codec)} relayOnly=${o.relayOnly}`);
    player.start();
    return true;
  }

  stopPlayingStream(streamId: string): boolean {
    const p = this.players.get(streamId);
    if (p === undefined) return false;
    this.players.delete(streamId);
    p.stop();
    this.log.info(`zm.play.stop ${streamId}`);
    return true;
  }

  setPlayAudioOutput(streamId: string, id: string): boolean {
    const p = this.players.get(streamId);
    if (p === undefined) return false;
    return p.setAudioOutput(id);
  }

  // ------------------------------------------------------------------ settings

  setQualityMonitorCycle(ms: number): void {
    this.qualityCycleMs = ms;
    for (const p of this.publishers.values()) p.restartMonitor();
    for (const p of this.players.values()) p.restartMonitor();
  }

  /** Logout, kick-out, fatal errors: every publisher and player stops (previews stay). */
  stopStreams(why: string): void {
    if (this.publishers.size + this.players.size > 0) this.log.info(`zm.stop all streams: ${why}`);
    const all: Endpoint[] = [...this.publishers.values(), ...this.players.values()];
    for (const id of this.publishers.keys()) this.effects.streamEnded(id);
    this.publishers.clear();
    this.players.clear();
    for (const e of all) e.stop();
    this.pool.closeAll();
  }

  /** release(): streams and previews. */
  release(): void {
    this.stopStreams('release');
    this.previews.stopAll();
    this.effects.release();
    if (this.screen.active > 0) this.screen.stopScreenShot();
    this.audio.close();
  }

  /**
   * getAudioInfo (reference §3.5): a level meter on what the element plays (its preview, or the MediaStream in
   * its srcObject). Null, after `fail(reason)`, when there is no audio to measure.
   */
  audioInfo(el: HTMLMediaElement, fail: (why: string) => void): SoundMeter | null {
    const p = this.previews.get(el);
    const stream = p !== undefined ? p.stream : elementStream(el);
    if (stream === null || stream.getAudioTracks().length === 0) {
      fail('no audio track on this element');
      return null;
    }
    const ctx = this.audio.get();
    if (ctx === null) {
      fail("browser don't support Web Audio");
      return null;
    }
    const meter = createSoundMeter(ctx, new MediaStream(stream.getAudioTracks()));
    this.audio.running().catch((e: unknown) => this.log.error(`zm.audioInfo ${String(e)}`));
    return meter;
  }

  // ------------------------------------------------------------------ internals

  private publishersOf(p: Preview): Publisher[] {
    return Array.from(this.publishers.values()).filter((x) => x.preview === p);
  }

  private endpointDeps(stateCallback: string, forget: () => void): EndpointDeps {
    return {
      log: this.log,
      pool: this.pool,
      dispatch: (streamId, ptype, cdnUrl, done) => this.dispatch(streamId, ptype, cdnUrl, done),
      customSignalUrl: () => this.customSignalUrl,
      appid: () => (this.room.identity ? this.room.identity.appid : 0),
      sdkVersionNumber: sdkVersionNumber(SDK_VERSION),
      emitState: (type, streamId, err) => {
        if (err === undefined) this.emit(stateCallback, type, streamId);
        else this.emit(stateCallback, type, streamId, err);
      },
      removed: () => forget(),
      random: this.random,
    };
  }

  /** `webrtc_url` (notes §7.1): the signal URLs for a stream. */
  private dispatch(
    streamId: string,
    ptype: 'push' | 'pull',
    cdnUrl: string,
    done: (urls: string[] | null, key?: MediaErrorKey, detail?: string) => void,
  ): void {
    if (!this.room.isLoggedIn) {
      setTimeout(() => done(null, 'Dispatch', 'not logged in'), 0);
      return;
    }
    const body: WebrtcUrlReq = {
      stream_id: streamId,
      ptype,
      signals: this.pool.connectedUrls(),
      header_kvs: ptype === 'push' ? [{ key: 'grpc-metadata-push', value: cdnUrl }] : [],
    };
    this.room.request('webrtc_url', body, {
      ok: (b) => {
        const urls = Array.isArray(b.urls) ? (b.urls as unknown[]).filter((u): u is string => typeof u === 'string' && u !== '') : [];
        if (urls.length === 0) done(null, 'Dispatch', 'no signal URL in the answer');
        else done(urls);
      },
      fail: (e, _seq, code) => {
        if (code === undefined && e.code === 'ZegoClient.Error.Timeout') done(null, 'TimeoutDispatch', e.msg);
        else done(null, 'Dispatch', `${e.code} ${e.msg}`);
      },
    });
  }
}
