/**
 * Screen sharing (reference §4, notes §10), mapped onto today's browsers:
 * - startScreenSharing(screenConfig, audio, cb): `getDisplayMedia({video: {frameRate}, audio})` (Chrome ≥ 72,
 *   Firefox ≥ 66, Safari ≥ 13); the browser's picker chooses the surface.
 * - startScreenShotChrome(cb): the original needed the Zego Chrome extension; Chrome ≥ 72 has getDisplayMedia, so
 *   that is used (video only, as the extension gave). Without getDisplayMedia the extension protocol still works:
 *   the extension's content script announces itself with `SS_PING`; the page asks with `SS_UI_REQUEST`; the answer
 *   `SS_DIALOG_SUCCESS {streamId}` becomes `getUserMedia({video: {mandatory: {chromeMediaSource: 'desktop',
 *   chromeMediaSourceId}}})`, `SS_DIALOG_CANCEL` a failure.
 * - startScreenShotFirFox(mediaSource, audio, cb): getDisplayMedia with the surface as a `displaySurface` hint
 *   ('screen' → monitor, 'window'/'application' → window: browsers no longer share whole applications); old
 *   Firefox: `getUserMedia({video: {mediaSource}})`.
 * cb(true, stream) or cb(false, reason) with the DOMException name (NotAllowedError when the user cancels), like
 * startPreview's error. Publishing a share is reference §4.4: show the stream in an element and startPreview it
 * with `externalCapture: true` (or pass it as `externalMediaStream`). When the browser ends a share (the user's
 * "Stop sharing" button, a closed window) the client gets onScreenSharingEnded(stream); stopScreenShot() ends
 * every share of the client without that callback.
 */
import type { Logger } from '../logging/logger';
import { isBoolean, isFiniteNumber, isFunction, isPlainObject } from '../validation';
import { errorName } from './devices';

export const DEFAULT_SCREEN_FRAME_RATE = 15;
export const FIREFOX_SOURCES = ['screen', 'application', 'window'] as const;
export type FirefoxSource = (typeof FIREFOX_SOURCES)[number];
/** How long startScreenShotChrome waits for the extension's answer to SS_UI_REQUEST before giving up (the picker is open meanwhile). */
export const EXTENSION_DIALOG_TIMEOUT_MS = 120_000;

export type ScreenCallback = (suc: boolean, mediaStream?: MediaStream | string) => void;

interface MediaDevicesLike {
  getDisplayMedia?: (c: DisplayMediaStreamOptions) => Promise<MediaStream>;
  getUserMedia?: (c: MediaStreamConstraints) => Promise<MediaStream>;
  getSupportedConstraints?: () => Record<string, boolean>;
}

function mediaDevices(): MediaDevicesLike | null {
  if (typeof navigator === 'undefined') return null;
  const md = (navigator as unknown as { mediaDevices?: MediaDevicesLike }).mediaDevices;
  return md ?? null;
}

export function hasGetDisplayMedia(): boolean {
  const md = mediaDevices();
  return md !== null && typeof md.getDisplayMedia === 'function';
}

/** Old Firefox shares screens through getUserMedia's `mediaSource` constraint. */
export function hasMediaSourceConstraint(): boolean {
  const md = mediaDevices();
  try {
    return md !== null && typeof md.getSupportedConstraints === 'function' && md.getSupportedConstraints().mediaSource === true;
  } catch {
    return false;
  }
}

/** What supportDetection reports as `screenSharing`. */
export function screenSharingSupported(): boolean {
  return hasGetDisplayMedia() || hasMediaSourceConstraint();
}

/** getDisplayMedia options of startScreenSharing. */
export function displayMediaOptions(frameRate: number, audio: boolean, surface?: 'monitor' | 'window'): DisplayMediaStreamOptions {
  const video: MediaTrackConstraints & { displaySurface?: string } = { frameRate };
  if (surface !== undefined) video.displaySurface = surface;
  return { video, audio };
}

/** getUserMedia constraints of the legacy Chrome extension path. */
export function chromeDesktopConstraints(sourceId: string, frameRate: number): MediaStreamConstraints {
  return {
    audio: false,
    video: { mandatory: { chromeMediaSource: 'desktop', chromeMediaSourceId: sourceId, maxFrameRate: frameRate } } as unknown as MediaTrackConstraints,
  };
}

/** Listens for the extension's SS_PING (it is sent when the page loads, so listen from the start). */
export class ChromeExtensionBridge {
  installed = false;
  private waiting: ((data: { type: string; streamId?: string }) => void) | null = null;

  constructor(private readonly win: Pick<Window, 'addEventListener' | 'postMessage'> & { location?: { origin?: string } } | null) {
    if (win === null) return;
    win.addEventListener('message', (ev: MessageEvent) => {
      if ((ev as { source?: unknown }).source !== undefined && ev.source !== win) return;
      const d = ev.data as { type?: unknown; streamId?: unknown } | null;
      if (d === null || typeof d !== 'object' || typeof d.type !== 'string') return;
      if (d.type === 'SS_PING') this.installed = true;
      else if ((d.type === 'SS_DIALOG_SUCCESS' || d.type === 'SS_DIALOG_CANCEL') && this.waiting !== null) {
        const w = this.waiting;
        this.waiting = null;
        w({ type: d.type, streamId: typeof d.streamId === 'string' ? d.streamId : undefined });
      }
    });
  }

  /** Opens the extension's picker; resolves with the desktop source id, rejects when cancelled. */
  request(timeoutMs = EXTENSION_DIALOG_TIMEOUT_MS): Promise<string> {
    const win = this.win;
    if (win === null || !this.installed) return Promise.reject(Object.assign(new Error('screen sharing extension not installed'), { name: 'NotSupportedError' }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(Object.assign(new Error('no answer from the screen sharing extension'), { name: 'TimeoutError' }));
      }, timeoutMs);
      this.waiting = (d) => {
        clearTimeout(timer);
        if (d.type === 'SS_DIALOG_SUCCESS' && d.streamId) resolve(d.streamId);
        else reject(Object.assign(new Error('the user cancelled'), { name: 'NotAllowedError' }));
      };
      win.postMessage({ type: 'SS_UI_REQUEST', text: 'start', url: win.location && win.location.origin ? win.location.origin : '' }, '*');
    });
  }
}

export class ScreenSharing {
  private readonly streams = new Set<MediaStream>();
  private readonly bridge: ChromeExtensionBridge;

  constructor(
    private readonly log: Logger,
    private readonly ended: (stream: MediaStream) => void,
    private readonly callUser: (name: string, fn: unknown, ...args: unknown[]) => void,
    win: ConstructorParameters<typeof ChromeExtensionBridge>[0] = typeof window !== 'undefined' ? window : null,
  ) {
    this.bridge = new ChromeExtensionBridge(win);
  }

  /** Reference §4.3.3. */
  startScreenSharing(screenConfig: unknown, audio: unknown, callback: unknown): boolean {
    const api = 'startScreenSharing';
    if (screenConfig !== undefined && screenConfig !== null && !isPlainObject(screenConfig)) return this.invalid(api, 'screenConfig must be an object');
    const fr = screenConfig ? (screenConfig as Record<string, unknown>).frameRate : undefined;
    if (fr !== undefined && (!isFiniteNumber(fr) || fr <= 0)) return this.invalid(api, 'screenConfig.frameRate must be a positive number');
    if (audio !== undefined && !isBoolean(audio)) return this.invalid(api, 'audio must be a boolean');
    if (!isFunction(callback)) return this.invalid(api, 'callback must be a function');
    const md = mediaDevices();
    if (md === null || typeof md.getDisplayMedia !== 'function') return this.unsupported(api, callback);
    const frameRate = isFiniteNumber(fr) ? fr : DEFAULT_SCREEN_FRAME_RATE;
    this.capture(api, md.getDisplayMedia(displayMediaOptions(frameRate, audio === true)), callback);
    return true;
  }

  /** Reference §4.3.2. */
  startScreenShotChrome(callback: unknown): boolean {
    const api = 'startScreenShotChrome';
    if (!isFunction(callback)) return this.invalid(api, 'callback must be a function');
    const md = mediaDevices();
    if (md !== null && typeof md.getDisplayMedia === 'function') {
      this.capture(api, md.getDisplayMedia(displayMediaOptions(DEFAULT_SCREEN_FRAME_RATE, false)), callback);
      return true;
    }
    if (md === null || typeof md.getUserMedia !== 'function' || !this.bridge.installed) return this.unsupported(api, callback);
    const gum = md.getUserMedia.bind(md);
    this.capture(
      api,
      this.bridge.request().then((id) => gum(chromeDesktopConstraints(id, DEFAULT_SCREEN_FRAME_RATE))),
      callback,
    );
    return true;
  }

  /** Reference §4.3.1 (name as the reference spells it). */
  startScreenShotFirFox(mediaSource: unknown, audio: unknown, callback: unknown): boolean {
    const api = 'startScreenShotFirFox';
    if (typeof mediaSource !== 'string' || !(FIREFOX_SOURCES as readonly string[]).includes(mediaSource)) {
      return this.invalid(api, "mediaSource must be 'screen', 'application' or 'window'");
    }
    if (audio !== undefined && !isBoolean(audio)) return this.invalid(api, 'audio must be a boolean');
    if (!isFunction(callback)) return this.invalid(api, 'callback must be a function');
    const md = mediaDevices();
    if (md !== null && typeof md.getDisplayMedia === 'function') {
      const surface = mediaSource === 'screen' ? 'monitor' : 'window';
      this.capture(api, md.getDisplayMedia(displayMediaOptions(DEFAULT_SCREEN_FRAME_RATE, audio === true, surface)), callback);
      return true;
    }
    if (md === null || typeof md.getUserMedia !== 'function' || !hasMediaSourceConstraint()) return this.unsupported(api, callback);
    const video = { mediaSource } as unknown as MediaTrackConstraints;
    this.capture(api, md.getUserMedia({ video, audio: audio === true }), callback);
    return true;
  }

  /** Reference §4.3.4: ends every share of this client. False when there is none. */
  stopScreenShot(): boolean {
    if (this.streams.size === 0) return this.invalid('stopScreenShot', 'no screen is being shared');
    for (const s of Array.from(this.streams)) {
      this.streams.delete(s);
      for (const t of s.getTracks()) t.stop();
    }
    this.log.info('zm.screen.stopped');
    return true;
  }

  get active(): number {
    return this.streams.size;
  }

  private capture(api: string, p: Promise<MediaStream>, callback: unknown): void {
    p.then(
      (stream) => {
        this.track(stream);
        const v = stream.getVideoTracks()[0];
        const s = v && typeof v.getSettings === 'function' ? v.getSettings() : {};
        this.log.info(`zm.screen.started ${api} ${String(s.width)}x${String(s.height)} @${String(s.frameRate)} audio=${stream.getAudioTracks().length > 0}`);
        this.callUser(`${api}.callback`, callback, true, stream);
      },
      (e: unknown) => {
        const reason = errorName(e);
        this.log.error(`zm.screen.failed ${api} ${reason}`);
        this.callUser(`${api}.callback`, callback, false, reason);
      },
    );
  }

  /** The share ends when its video ends (the browser's "Stop sharing"); the audio of a tab share ends with it. */
  private track(stream: MediaStream): void {
    this.streams.add(stream);
    for (const t of stream.getVideoTracks()) {
      t.addEventListener('ended', () => {
        if (!this.streams.delete(stream)) return;
        for (const x of stream.getTracks()) if (x !== t) x.stop();
        this.log.info('zm.screen.ended by the browser');
        this.ended(stream);
      });
    }
  }

  private unsupported(api: string, callback: unknown): boolean {
    this.log.error(`zm.screen.failed ${api} browser don't support screen sharing`);
    Promise.resolve().then(() => this.callUser(`${api}.callback`, callback, false, "browser don't support"));
    return true;
  }

  private invalid(api: string, why: string): false {
    this.log.error(`zc.${api}.param ${why}`);
    return false;
  }
}
