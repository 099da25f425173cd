/**
 * A published stream (reference §1.12–§1.14, notes §7.3, §7.7, §7.8). The preview's tracks go out on sendonly
 * transceivers capped at the preview's bitrate and frame rate, with the requested video codec only. The stream is
 * up when the transport is connected AND the server sent `PublishEventPush {event:0}`; then it is announced in
 * the room (`stream` 2001 through room/local-streams.ts) and `onPublishStateUpdate(0, id, 0)` follows the room's
 * acknowledgement. Camera and microphone status go to the server (StreamStatusNotify) when the stream comes up
 * and on every change.
 */
import type { ZegoError } from '../errors';
import { Endpoint, type EndpointDeps, type EndpointOptions } from './endpoint';
import type { StreamStatusNotify } from '../wire/media';
import type { NegotiationSpec, SessionPush } from './negotiation';
import { AV_OFF, AV_ON, type Preview } from './preview';
import { QualityMonitor } from './quality';
import { mungePublishOffer, type VideoCodec } from './sdp';

export interface PublisherDeps extends EndpointDeps {
  /** Announces the stream in the room; false when there is no room session (custom signal URL only). */
  register(streamId: string, done: (ok: boolean, err?: ZegoError) => void): boolean;
  /** Room-side state of the stream (notes §7.7 numbering). */
  setRoomState(streamId: string, state: number): void;
  /** Ends the stream in the room (liveEnd if it was announced). */
  unregister(streamId: string): void;
  qualityCycle(): number;
  emitQuality(streamId: string, q: Record<string, unknown>): void;
}

export interface PublisherOptions extends EndpointOptions {
  codec: VideoCodec;
}

const TRY_PUBLISH = 2;

export class Publisher extends Endpoint {
  private transportUp = false;
  private eventSeen = false;
  private registered = false;
  private registering = false;
  /** The audio mix sent instead of the microphone (also after a retry's new session). */
  private audioOverride: MediaStreamTrack | null = null;
  readonly monitor: QualityMonitor;

  constructor(
    streamId: string,
    readonly preview: Preview,
    private readonly popts: PublisherOptions,
    private readonly pdeps: PublisherDeps,
  ) {
    super('publish', streamId, popts, pdeps);
    this.monitor = new QualityMonitor('publish', () => this.pc, (q) => this.pdeps.emitQuality(this.streamId, q));
  }

  /** The status sent to the server: 0 on, 2 off (off also when the preview has no track of that kind). */
  status(): StreamStatusNotify {
    const s = this.preview.stream;
    return {
      camera_status: this.preview.cameraOn && s.getVideoTracks().length > 0 ? AV_ON : AV_OFF,
      mic_status: this.preview.micOn && s.getAudioTracks().length > 0 ? AV_ON : AV_OFF,
    };
  }

  sendStatus(): void {
    if (this.neg !== null && this.transportUp) this.neg.notify('StreamStatusNotify', this.status());
  }

  /**
   * switchDevice: the new track replaces the old one on the sender of its kind (not while the sender carries an
   * audio mix: the mix takes the new microphone itself).
   */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): void {
    if (kind === 'audio' && this.audioOverride !== null) return;
    this.swapTrack(kind, track);
  }

  /** The preview's microphone track, or null when the stream sends no audio. */
  micTrack(): MediaStreamTrack | null {
    return this.preview.stream.getAudioTracks()[0] ?? null;
  }

  /** Effects and audio mixing (effects.ts): send `track` instead of the microphone; null restores it. */
  setAudioOverride(track: MediaStreamTrack | null): void {
    this.audioOverride = track;
    const t = track ?? this.micTrack();
    if (t !== null) this.swapTrack('audio', t);
  }

  private swapTrack(kind: 'audio' | 'video', track: MediaStreamTrack): void {
    const pc = this.pc;
    if (pc === null) return;
    for (const t of pc.getTransceivers()) {
      const s = t.sender;
      const k = s.track ? s.track.kind : t.receiver.track.kind;
      if (k === kind) s.replaceTrack(track).catch((e: unknown) => this.deps.log.warn(`${this.tag} replaceTrack ${String(e)}`));
    }
  }

  restartMonitor(): void {
    if (this.monitor.running) this.monitor.start(this.pdeps.qualityCycle());
  }

  protected spec(): NegotiationSpec {
    this.pdeps.setRoomState(this.streamId, TRY_PUBLISH);
    const p = this.preview;
    const firefox = typeof navigator !== 'undefined' && /firefox/i.test(navigator.userAgent);
    return {
      kind: 'publish',
      streamId: this.streamId,
      streamParams: this.opts.streamParams,
      relayOnly: this.opts.relayOnly,
      appid: this.deps.appid(),
      sdkVersionNumber: this.deps.sdkVersionNumber,
      setup: (pc) => {
        // Audio first: the answer's m-line order then matches what the server expects.
        for (const t of p.stream.getAudioTracks()) {
          pc.addTransceiver(this.audioOverride ?? t, { direction: 'sendonly', streams: [p.stream], sendEncodings: [{ maxBitrate: p.params.audioBitRate }] });
        }
        for (const t of p.stream.getVideoTracks()) {
          pc.addTransceiver(t, {
            direction: 'sendonly',
            streams: [p.stream],
            sendEncodings: [{ maxBitrate: p.params.bitRate * 1000, maxFramerate: p.params.frameRate }],
          });
        }
      },
      munge: (sdp) => mungePublishOffer(sdp, { codec: this.popts.codec, videoKbps: p.params.bitRate, audioBps: p.params.audioBitRate, firefox }),
      descExtra: () => ({
        width: p.params.width,
        height: p.params.height,
        framerate: p.params.frameRate,
        video_min_kpbs: Math.round(p.params.bitRate / 4),
        video_max_kpbs: p.params.bitRate,
        audio_kpbs: Math.round(p.params.audioBitRate / 1000),
        keyframe_intv: 3,
      }),
    };
  }

  protected onTransportUp(): void {
    this.transportUp = true;
    this.sendStatus();
    this.maybeUp();
  }

  protected onPush(push: SessionPush): void {
    if (push.cmd === 'PublishEventPush') {
      // A server that leaves `event` out means 0 as well.
      if (push.body.event === 0 || push.body.event === undefined) {
        this.eventSeen = true;
        this.maybeUp();
      }
    } else this.deps.log.debug(`${this.tag} push ${push.cmd} ignored`);
  }

  private maybeUp(): void {
    if (this.transportUp && this.eventSeen && this.state !== 'up') this.up();
  }

  protected override onUp(again: boolean): void {
    if (!this.monitor.running) this.monitor.start(this.pdeps.qualityCycle());
    if (this.registered) {
      this.deps.emitState(0, this.streamId, 0);
      return;
    }
    if (this.registering) return; // the room's answer reports the start
    this.registering = true;
    this.deps.log.info(`${this.tag} up${again ? ' again' : ''}; announcing it in the room`);
    const started = this.pdeps.register(this.streamId, (ok, err) => {
      this.registering = false;
      if (this.state === 'stopped') return;
      if (!ok) return this.error({ err: err ?? { code: 'ZegoClient.Error.Server', msg: 'stream registration failed' } });
      this.registered = true;
      this.deps.emitState(0, this.streamId, 0);
    });
    if (!started) {
      this.registering = false;
      this.registered = true;
      this.deps.emitState(0, this.streamId, 0);
    }
  }

  protected override onRetry(): void {
    this.transportUp = false;
    this.eventSeen = false;
  }

  protected onStopped(): void {
    this.monitor.stop();
    this.pdeps.unregister(this.streamId);
  }
}
