/**
 * A played stream (reference §1.17–§1.19, notes §7.3, §7.6, §7.8). The offer is recvonly (transceivers; playType
 * 'audio' or 'video' leaves the other kind out), filtered to videoDecodeType when one is given. Received tracks
 * go into a MediaStream on the application's element as soon as they arrive (the first frame shows without
 * waiting for the state callback); `onPlayStateUpdate(0, id)` fires when the transport is connected (again after
 * a successful retry). The publisher's camera/mic status arrives as StreamStatusNotifyPush and is reported on
 * change; `onVideoSizeChanged` fires once, when the element first knows the video size.
 */
import type { Logger } from '../logging/logger';
import { errorName, setSinkId } from './devices';
import { Endpoint, type EndpointDeps, type EndpointOptions } from './endpoint';
import type { NegotiationSpec, SessionPush } from './negotiation';
import { QualityMonitor } from './quality';
import { mungePlayOffer, type VideoCodec } from './sdp';

export type PlayType = 'all' | 'audio' | 'video';

export interface PlayerDeps extends EndpointDeps {
  qualityCycle(): number;
  emitQuality(streamId: string, q: Record<string, unknown>): void;
  emitVideoSize(streamId: string, w: number, h: number): void;
  emitCamera(streamId: string, status: number): void;
  emitMic(streamId: string, status: number): void;
}

export interface PlayerOptions extends EndpointOptions {
  playType: PlayType;
  codec: VideoCodec | null;
  audioOutput: string;
}

export class Player extends Endpoint {
  stream: MediaStream | null = null;
  camera = 0;
  mic = 0;
  readonly monitor: QualityMonitor;
  private streamNeg: unknown = null;
  private sizeReported = false;
  private readonly onMediaEvent = (): void => this.checkSize();

  constructor(
    streamId: string,
    readonly element: HTMLMediaElement,
    private readonly popts: PlayerOptions,
    private readonly pdeps: PlayerDeps,
  ) {
    super('play', streamId, popts, pdeps);
    this.monitor = new QualityMonitor('play', () => this.pc, (q) => this.pdeps.emitQuality(this.streamId, q));
    if (popts.playType !== 'audio') {
      element.addEventListener('canplay', this.onMediaEvent);
      element.addEventListener('resize', this.onMediaEvent);
    }
    if (popts.audioOutput !== '') this.setAudioOutput(popts.audioOutput);
  }

  private get logger(): Logger {
    return this.deps.log;
  }

  setAudioOutput(id: string): boolean {
    return setSinkId(this.element, id, (e) => this.logger.warn(`${this.tag} setSinkId ${errorName(e)}`));
  }

  restartMonitor(): void {
    if (this.monitor.running) this.monitor.start(this.pdeps.qualityCycle());
  }

  protected spec(): NegotiationSpec {
    const t = this.popts.playType;
    return {
      kind: 'play',
      streamId: this.streamId,
      streamParams: this.opts.streamParams,
      relayOnly: this.opts.relayOnly,
      appid: this.deps.appid(),
      sdkVersionNumber: this.deps.sdkVersionNumber,
      setup: (pc) => {
        const tracks: MediaStreamTrack[] = [];
        if (t !== 'video') tracks.push(pc.addTransceiver('audio', { direction: 'recvonly' }).receiver.track);
        if (t !== 'audio') tracks.push(pc.addTransceiver('video', { direction: 'recvonly' }).receiver.track);
        this.attachSession(tracks);
      },
      munge: (sdp) => mungePlayOffer(sdp, this.popts.codec),
      descExtra: () => ({}),
    };
  }

  /**
   * A new session (the first one, or a retry): a new stream on the element with the session's receiving tracks,
   * before any media flows. The element's player then has its video sink in place when the first packets
   * arrive: frames decoded before it exists are lost, and the first picture would wait for a later frame
   * (up to a frame interval and the decode of the cached group of pictures again).
   */
  private attachSession(tracks: MediaStreamTrack[]): void {
    this.stream = new MediaStream(tracks);
    this.streamNeg = this.neg;
    this.attach();
  }

  protected override onTrack(ev: RTCTrackEvent): void {
    // The session's tracks are on the element since its setup; a track the browser swapped in replaces its kind.
    if (this.stream === null || this.streamNeg !== this.neg) return this.attachSession([ev.track]);
    if (this.stream.getTracks().includes(ev.track)) return;
    for (const old of this.stream.getTracks()) if (old.kind === ev.track.kind) this.stream.removeTrack(old);
    this.stream.addTrack(ev.track);
  }

  private attach(): void {
    const el = this.element;
    el.srcObject = this.stream;
    const r = el.play();
    if (r && typeof r.catch === 'function') r.catch((e: unknown) => this.logger.warn(`${this.tag} element play() ${errorName(e)}`));
  }

  private checkSize(): void {
    if (this.sizeReported || this.state === 'stopped') return;
    const v = this.element as HTMLVideoElement;
    if (!(v.videoWidth > 0)) return;
    this.sizeReported = true;
    this.pdeps.emitVideoSize(this.streamId, v.videoWidth, v.videoHeight);
  }

  protected onTransportUp(): void {
    this.up();
  }

  protected override onUp(again: boolean): void {
    if (!this.monitor.running) this.monitor.start(this.pdeps.qualityCycle());
    if (again) this.logger.info(`${this.tag} playing again`);
    this.deps.emitState(0, this.streamId);
  }

  protected onPush(push: SessionPush): void {
    if (push.cmd !== 'StreamStatusNotifyPush') {
      this.logger.debug(`${this.tag} push ${push.cmd} ignored`);
      return;
    }
    const body = push.body;
    const cam = typeof body.camera_status === 'number' ? body.camera_status : this.camera;
    const mic = typeof body.mic_status === 'number' ? body.mic_status : this.mic;
    if (cam !== this.camera) {
      this.camera = cam;
      this.pdeps.emitCamera(this.streamId, cam);
    }
    if (this.state === 'stopped') return;
    if (mic !== this.mic) {
      this.mic = mic;
      this.pdeps.emitMic(this.streamId, mic);
    }
  }

  protected onStopped(): void {
    this.monitor.stop();
    this.element.removeEventListener('canplay', this.onMediaEvent);
    this.element.removeEventListener('resize', this.onMediaEvent);
    if (this.stream !== null && this.element.srcObject === this.stream) this.element.srcObject = null;
    this.stream = null;
  }
}
