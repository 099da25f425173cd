/**
 * Local previews (reference §1.7–§1.10, §1.13, notes §10): one capture stream per `<video>` element, from the
 * camera and microphone (getUserMedia), an external MediaStream, or the element's own playback
 * (`captureStream()`, externalCapture). Publishers send the preview's tracks; camera and microphone switches
 * toggle `track.enabled` and are announced to players by the publishers (StreamStatusNotify).
 */
import type { Logger } from '../logging/logger';
import { encodingParams, mediaConstraints, switchConstraints, type EncodingParams, type PreviewOptions } from './constraints';
import { enumerateDevices, errorName, getUserMedia } from './devices';

export interface Preview {
  element: HTMLMediaElement;
  stream: MediaStream;
  options: PreviewOptions;
  params: EncodingParams;
  /** The stream came from the application (externalMediaStream) or the element (externalCapture). */
  external: boolean;
  cameraOn: boolean;
  micOn: boolean;
  /** Set while getUserMedia runs; cleared by stopPreview (the late stream is then stopped). */
  pending: boolean;
}

/** Camera/mic status as on the wire: 0 on, 2 off. */
export const AV_ON = 0;
export const AV_OFF = 2;

export function stopTracks(stream: MediaStream | null): void {
  if (stream === null) return;
  for (const t of stream.getTracks()) {
    try {
      t.stop();
    } catch {
      /* already stopped */
    }
  }
}

export interface PreviewEvents {
  /** A preview's tracks were replaced (switchDevice): publishers swap their senders' tracks. */
  trackReplaced(p: Preview, kind: 'audio' | 'video', track: MediaStreamTrack): void;
  /** Camera or microphone switched on or off, or the device changed: publishers tell their players. */
  statusChanged(p: Preview): void;
}

export class Previews {
  private byElement = new Map<HTMLMediaElement, Preview>();

  constructor(
    private readonly log: Logger,
    private readonly events: PreviewEvents,
  ) {}

  get(el: HTMLMediaElement): Preview | undefined {
    const p = this.byElement.get(el);
    return p && !p.pending ? p : undefined;
  }

  has(el: HTMLMediaElement): boolean {
    return this.byElement.has(el);
  }

  /**
   * Starts a preview. Returns false (no callback) when the element already has one. `ok()` / `err(reason)` as
   * the reference: reason is the DOMException name (NotAllowedError, NotFoundError, OverconstrainedError…).
   */
  start(el: HTMLMediaElement, o: PreviewOptions, ok: () => void, err: (reason: string) => void): boolean {
    if (this.byElement.has(el)) {
      this.log.warn('zm.preview.start this element already has a preview');
      return false;
    }
    const p: Preview = {
      element: el,
      stream: null as unknown as MediaStream,
      options: o,
      params: encodingParams(o),
      external: false,
      cameraOn: true,
      micOn: true,
      pending: true,
    };
    this.byElement.set(el, p);
    const started = (stream: MediaStream, attach: boolean, own: boolean) => {
      if (this.byElement.get(el) !== p) {
        // stopPreview came first
        if (own) stopTracks(stream);
        return;
      }
      p.stream = stream;
      p.pending = false;
      if (attach) {
        el.srcObject = stream;
        const r = el.play();
        if (r && typeof r.catch === 'function') r.catch((e: unknown) => this.log.warn(`zm.preview.play ${errorName(e)}`));
      }
      this.log.info(`zm.preview.started ${stream.getTracks().map((t) => `${t.kind}:${t.label}`).join(', ')}`);
      ok();
    };
    const failed = (e: unknown) => {
      if (this.byElement.get(el) === p) this.byElement.delete(el);
      const reason = errorName(e);
      this.log.error(`zm.preview.failed ${reason}`);
      err(reason);
    };
    if (o.externalMediaStream !== undefined) {
      p.external = true;
      // Called back asynchronously, as a capture would be.
      Promise.resolve().then(() => started(o.externalMediaStream as MediaStream, el.srcObject !== o.externalMediaStream, false));
      return true;
    }
    if (o.externalCapture === true) {
      p.external = true;
      const cap = el as unknown as { captureStream?: () => MediaStream; mozCaptureStream?: () => MediaStream };
      const f = typeof cap.captureStream === 'function' ? cap.captureStream : cap.mozCaptureStream;
      Promise.resolve().then(() => {
        if (typeof f !== 'function') return failed(new Error("browser don't support"));
        try {
          started(f.call(el), false, true);
        } catch (e) {
          failed(e);
        }
      });
      return true;
    }
    getUserMedia(mediaConstraints(o)).then((s) => started(s, true, true), failed);
    return true;
  }

  /** Stops the tracks (own captures only) and clears the element. False when the element has no preview. */
  stop(el: HTMLMediaElement): boolean {
    const p = this.byElement.get(el);
    if (p === undefined) return false;
    this.byElement.delete(el);
    if (!p.pending) {
      if (!p.external || p.options.externalCapture === true) stopTracks(p.stream);
      if (el.srcObject === p.stream || !p.external) el.srcObject = null;
    }
    this.log.info('zm.preview.stopped');
    return true;
  }

  stopAll(): void {
    for (const el of Array.from(this.byElement.keys())) this.stop(el);
  }

  enable(el: HTMLMediaElement, kind: 'audio' | 'video', on: boolean): boolean {
    const p = this.get(el);
    if (p === undefined) return false;
    for (const t of kind === 'audio' ? p.stream.getAudioTracks() : p.stream.getVideoTracks()) t.enabled = on;
    if (kind === 'audio') p.micOn = on;
    else p.cameraOn = on;
    this.events.statusChanged(p);
    return true;
  }

  /** switchDevice: re-captures one kind from `deviceId` and replaces the track everywhere it is sent. */
  switchDevice(el: HTMLMediaElement, kind: 'audio' | 'video', deviceId: string, ok: () => void, err: (e: string) => void): boolean {
    const p = this.get(el);
    if (p === undefined || p.external) return false;
    enumerateDevices()
      .then((info) => {
        const list = kind === 'audio' ? info.microphones : info.cameras;
        if (!list.some((d) => d.deviceId === deviceId)) throw Object.assign(new Error('device not found'), { name: 'NotFoundError' });
        return getUserMedia(switchConstraints(p.options, kind, deviceId));
      })
      .then((s) => {
        const track = (kind === 'audio' ? s.getAudioTracks() : s.getVideoTracks())[0];
        if (this.byElement.get(el) !== p || track === undefined) {
          stopTracks(s);
          if (track === undefined) err('NotFoundError');
          return;
        }
        const old = kind === 'audio' ? p.stream.getAudioTracks() : p.stream.getVideoTracks();
        track.enabled = kind === 'audio' ? p.micOn : p.cameraOn;
        for (const t of old) {
          p.stream.removeTrack(t);
          t.stop();
        }
        p.stream.addTrack(track);
        if (kind === 'audio') p.options = { ...p.options, audioInput: deviceId };
        else p.options = { ...p.options, videoInput: deviceId, facingMode: undefined };
        this.events.trackReplaced(p, kind, track);
        this.events.statusChanged(p);
        this.log.info(`zm.preview.switched ${kind} to ${deviceId}`);
        ok();
      })
      .catch((e: unknown) => {
        const reason = errorName(e);
        this.log.error(`zm.preview.switch ${kind} failed: ${reason}`);
        err(reason);
      });
    return true;
  }
}
