/**
 * Web Audio helpers shared by sound effects, audio mixing (effects.ts) and the level meter (sound-meter.ts).
 * One AudioContext per client, created on first use: browsers cap the number of contexts, and every node of a
 * graph must belong to the same context.
 */
import type { Logger } from '../logging/logger';

type AudioContextCtor = new () => AudioContext;

export function audioContextCtor(): AudioContextCtor | null {
  const g = globalThis as unknown as { AudioContext?: AudioContextCtor; webkitAudioContext?: AudioContextCtor };
  if (typeof g.AudioContext === 'function') return g.AudioContext;
  if (typeof g.webkitAudioContext === 'function') return g.webkitAudioContext;
  return null;
}

/** Lazily created AudioContext; null where the browser has no Web Audio. */
export class SharedAudioContext {
  private ctx: AudioContext | null = null;
  private warned = false;

  constructor(private readonly log: Logger) {}

  get(): AudioContext | null {
    if (this.ctx !== null) return this.ctx;
    const Ctor = audioContextCtor();
    if (Ctor === null) return null;
    try {
      this.ctx = new Ctor();
    } catch (e) {
      this.log.error(`zm.audio.context cannot create an AudioContext: ${String(e)}`);
      return null;
    }
    return this.ctx;
  }

  /**
   * Resolves once the context runs. Autoplay policies start a context created outside a user gesture
   * suspended (its outputs are silent) and resume() waits for the next gesture; the warning says why nothing
   * is heard yet.
   */
  running(): Promise<AudioContext> {
    const ctx = this.get();
    if (ctx === null) return Promise.reject(new Error("browser don't support"));
    if (ctx.state === 'running') return Promise.resolve(ctx);
    const timer = setTimeout(() => {
      if (ctx.state !== 'running' && !this.warned) {
        this.warned = true;
        this.log.warn('zm.audio.context the AudioContext is suspended by the autoplay policy: call this from a user gesture (click)');
      }
    }, 1000);
    return ctx.resume().then(
      () => {
        clearTimeout(timer);
        return ctx;
      },
      (e: unknown) => {
        clearTimeout(timer);
        throw e;
      },
    );
  }

  close(): void {
    const ctx = this.ctx;
    this.ctx = null;
    if (ctx !== null) ctx.close().catch(() => undefined);
  }
}

/** Root mean square of samples in [-1, 1]: the `instant` level of getAudioInfo (0 silence … ~0.7 a full-scale sine). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/** The stream a media element plays, if it is a MediaStream (previews, played streams, screen captures). */
export function elementStream(el: HTMLMediaElement): MediaStream | null {
  const s = el.srcObject as unknown;
  return typeof s === 'object' && s !== null && typeof (s as MediaStream).getAudioTracks === 'function' ? (s as MediaStream) : null;
}

/** `element.captureStream()` (Firefox: `mozCaptureStream()`); null where the browser has neither. */
export function captureElement(el: HTMLMediaElement): MediaStream | null {
  const c = el as unknown as { captureStream?: () => MediaStream; mozCaptureStream?: () => MediaStream };
  const f = typeof c.captureStream === 'function' ? c.captureStream : c.mozCaptureStream;
  return typeof f === 'function' ? f.call(el) : null;
}
