/**
 * Sound effects and audio mixing into published streams (reference §1.33–§1.40).
 *
 * A published stream that plays an effect or mixes an `<audio>` element sends the output of a Web Audio graph
 * instead of its microphone track (RTCRtpSender.replaceTrack, no renegotiation):
 *
 *   microphone ─ micGain (0 while a `replace: true` source plays) ─┐
 *   effect (AudioBufferSourceNode) ─┐                              ├─ MediaStreamAudioDestinationNode ─▶ sender
 *   <audio> (captureStream)  ───────┴─ fxGain (setMixingAudioVolume)┘
 *
 * The graph exists only while something is mixed; afterwards the sender gets the microphone track back, so plain
 * publishing never pays Web Audio's latency. Effects are decoded once (preloadEffect) and played from memory; an
 * AudioBufferSourceNode cannot pause, so pause remembers the position and resume starts a new node there. Effects
 * are heard by players only (the page does not play them: that would echo into the microphone); an `<audio>`
 * element keeps playing locally as the application set it up.
 */
import { ErrorCode, type ZegoError } from '../errors';
import type { Logger } from '../logging/logger';
import { isBoolean, isFiniteNumber, isFunction, isNonEmptyString, isPlainObject } from '../validation';
import { captureElement, type SharedAudioContext } from './web-audio';

export type CallUser = (name: string, fn: unknown, ...args: unknown[]) => void;

/** What a published stream offers the mixer (implemented by Publisher). */
export interface MixTarget {
  /** The microphone track of the preview it sends, or null when it sends no audio. */
  micTrack(): MediaStreamTrack | null;
  /** Sends `track` instead of the microphone; null sends the microphone again. */
  setAudioOverride(track: MediaStreamTrack | null): void;
}

/** audioMixConfig of playEffect (reference §1.34). playTime is in milliseconds. */
export interface AudioMixConfig {
  streamId: string;
  effectId: number;
  loop?: boolean;
  playTime?: number;
  replace?: boolean;
}

/** Reference §1.40: 0–100, 100 = the source's own volume. */
export const MAX_MIX_VOLUME = 100;

/**
 * Where a paused effect stands: `offset` s into the buffer when it (re)started, `elapsed` s played since.
 * A looping effect wraps; a finished one stays at its end.
 */
export function effectPosition(offset: number, elapsed: number, duration: number, loop: boolean): number {
  const pos = offset + Math.max(0, elapsed);
  if (duration <= 0) return 0;
  if (loop) return pos % duration;
  return Math.min(pos, duration);
}

/** Checks playEffect's config; returns the normalized config or the reason it is invalid. */
export function checkMixConfig(cfg: unknown): { ok: true; cfg: Required<AudioMixConfig> } | { ok: false; why: string } {
  if (!isPlainObject(cfg)) return { ok: false, why: 'audioMixConfig must be an object' };
  if (!isNonEmptyString(cfg.streamId)) return { ok: false, why: 'audioMixConfig.streamId must be a non-empty string' };
  if (!isFiniteNumber(cfg.effectId)) return { ok: false, why: 'audioMixConfig.effectId must be a number' };
  for (const k of ['loop', 'replace'] as const) {
    if (cfg[k] !== undefined && !isBoolean(cfg[k])) return { ok: false, why: `audioMixConfig.${k} must be a boolean` };
  }
  if (cfg.playTime !== undefined && (!isFiniteNumber(cfg.playTime) || cfg.playTime < 0)) {
    return { ok: false, why: 'audioMixConfig.playTime must be a number of milliseconds ≥ 0' };
  }
  return {
    ok: true,
    cfg: {
      streamId: cfg.streamId,
      effectId: cfg.effectId,
      loop: cfg.loop === true,
      replace: cfg.replace === true,
      playTime: isFiniteNumber(cfg.playTime) ? cfg.playTime : 0,
    },
  };
}

interface PlayingEffect {
  effectId: number;
  buffer: AudioBuffer;
  loop: boolean;
  replace: boolean;
  /** Seconds into the buffer where the current node started (or where a paused effect stands). */
  offset: number;
  startedAt: number;
  node: AudioBufferSourceNode | null;
  paused: boolean;
  started: boolean;
  start: unknown;
  end: unknown;
}

interface MixedElement {
  el: HTMLMediaElement;
  replace: boolean;
  nodes: AudioNode[];
  captured: MediaStream | null;
  onAddTrack: ((e: MediaStreamTrackEvent) => void) | null;
}

/** The graph of one published stream while it mixes something. */
interface StreamMix {
  streamId: string;
  target: MixTarget;
  ctx: AudioContext;
  dest: MediaStreamAudioDestinationNode;
  micGain: GainNode;
  micSource: MediaStreamAudioSourceNode | null;
  fxGain: GainNode;
  effect: PlayingEffect | null;
  element: MixedElement | null;
}

interface LoadedEffect {
  buffer: AudioBuffer | null;
}

function decode(ctx: AudioContext, data: ArrayBuffer): Promise<AudioBuffer> {
  // The callback form also works in old Safari, whose decodeAudioData returns no promise.
  return new Promise((resolve, reject) => {
    const p = ctx.decodeAudioData(data, resolve, reject) as Promise<AudioBuffer> | undefined;
    if (p && typeof p.catch === 'function') p.catch(reject);
  });
}

export class AudioEffects {
  private readonly loaded = new Map<number, LoadedEffect>();
  private readonly mixes = new Map<string, StreamMix>();
  private readonly volumes = new Map<string, number>();
  /** createMediaElementSource works once per element: kept for elements mixed again (browsers without captureStream). */
  private readonly elementSources = new WeakMap<HTMLMediaElement, MediaElementAudioSourceNode>();

  constructor(
    private readonly log: Logger,
    private readonly audio: SharedAudioContext,
    private readonly target: (streamId: string) => MixTarget | undefined,
    private readonly callUser: CallUser,
  ) {}

  // ------------------------------------------------------------------ effects

  /** Reference §1.33: fetches and decodes the effect; callBack() when ready, callBack(err) when not. */
  preloadEffect(id: unknown, effectUrl: unknown, callBack?: unknown): boolean {
    const api = 'preloadEffect';
    if (!isFiniteNumber(id)) return this.invalid(api, 'id must be a number');
    if (!isNonEmptyString(effectUrl)) return this.invalid(api, 'effectUrl must be a non-empty string');
    if (callBack !== undefined && callBack !== null && !isFunction(callBack)) return this.invalid(api, 'callBack must be a function');
    if (this.loaded.has(id)) return this.invalid(api, `effect ${id} is already loaded (ids are unique; unloadEffect first)`);
    const ctx = this.audio.get();
    if (ctx === null) return this.invalid(api, "browser don't support Web Audio");
    const entry: LoadedEffect = { buffer: null };
    this.loaded.set(id, entry);
    const fail = (err: ZegoError) => {
      if (this.loaded.get(id) === entry) this.loaded.delete(id);
      this.log.error(`zm.effect.load ${id} failed: ${err.msg}`);
      this.callUser('preloadEffect.callBack', callBack, err);
    };
    fetch(effectUrl)
      .then(
        (r) => {
          if (!r.ok) throw { code: ErrorCode.Network, msg: `load effect failed: HTTP ${r.status}` };
          return r.arrayBuffer();
        },
        (e: unknown) => {
          throw { code: ErrorCode.Network, msg: `load effect failed: ${String(e)}` };
        },
      )
      .then((data) =>
        decode(ctx, data).catch((e: unknown) => {
          throw { code: ErrorCode.Param, msg: `decode effect failed: ${e instanceof Error ? e.message : String(e)}` };
        }),
      )
      .then(
        (buffer) => {
          if (this.loaded.get(id) !== entry) return; // unloaded meanwhile
          entry.buffer = buffer;
          this.log.info(`zm.effect.loaded ${id} ${buffer.duration.toFixed(2)} s`);
          this.callUser('preloadEffect.callBack', callBack);
        },
        (e: ZegoError) => fail(e),
      );
    return true;
  }

  /** Reference §1.34. start() when the effect begins, end() when it ends (finished, unloaded or the stream stopped). */
  playEffect(audioMixConfig: unknown, start?: unknown, end?: unknown): boolean {
    const api = 'playEffect';
    const c = checkMixConfig(audioMixConfig);
    if (!c.ok) return this.invalid(api, c.why);
    if (start !== undefined && start !== null && !isFunction(start)) return this.invalid(api, 'start must be a function');
    if (end !== undefined && end !== null && !isFunction(end)) return this.invalid(api, 'end must be a function');
    const { streamId, effectId, loop, replace, playTime } = c.cfg;
    const fx = this.loaded.get(effectId);
    if (fx === undefined) return this.invalid(api, `effect ${effectId} is not loaded (preloadEffect)`);
    if (fx.buffer === null) return this.invalid(api, `effect ${effectId} is still loading`);
    const target = this.target(streamId);
    if (target === undefined) return this.invalid(api, `${streamId} is not being published`);
    if (this.mixes.get(streamId)?.effect) return this.invalid(api, `${streamId} already plays an effect (one at a time per stream)`);
    const duration = fx.buffer.duration;
    let offset = playTime / 1000;
    if (loop) offset %= duration;
    else if (offset >= duration) return this.invalid(api, `playTime ${playTime} ms is past the effect's end (${Math.round(duration * 1000)} ms)`);
    const mix = this.mixFor(api, streamId, target);
    if (mix === null) return false;
    const e: PlayingEffect = { effectId, buffer: fx.buffer, loop, replace, offset, startedAt: 0, node: null, paused: false, started: false, start, end };
    mix.effect = e;
    this.applyReplace(mix);
    this.log.info(`zm.effect.play ${effectId} on ${streamId} loop=${loop} playTime=${playTime} replace=${replace}`);
    this.runNode(mix, e);
    return true;
  }

  /** Reference §1.35. False when the stream plays no effect, or it is paused already. */
  pauseEffect(streamid: unknown): boolean {
    const api = 'pauseEffect';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    const mix = this.mixes.get(streamid);
    const e = mix?.effect;
    if (!mix || !e) return this.invalid(api, `${streamid} plays no effect`);
    if (e.paused) return this.invalid(api, `the effect of ${streamid} is already paused`);
    e.paused = true;
    if (e.node !== null) {
      e.offset = effectPosition(e.offset, mix.ctx.currentTime - e.startedAt, e.buffer.duration, e.loop);
      this.dropNode(e);
    }
    this.log.info(`zm.effect.pause ${streamid} at ${e.offset.toFixed(3)} s`);
    return true;
  }

  /** Reference §1.36. False when the stream's effect is not paused. */
  resumeEffect(streamid: unknown): boolean {
    const api = 'resumeEffect';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    const mix = this.mixes.get(streamid);
    const e = mix?.effect;
    if (!mix || !e) return this.invalid(api, `${streamid} plays no effect`);
    if (!e.paused) return this.invalid(api, `the effect of ${streamid} is not paused`);
    e.paused = false;
    this.log.info(`zm.effect.resume ${streamid} at ${e.offset.toFixed(3)} s`);
    this.runNode(mix, e);
    return true;
  }

  /** Reference §1.37: forgets the decoded effect; streams playing it stop it (their end callbacks fire). */
  unloadEffect(effectid: unknown): boolean {
    const api = 'unloadEffect';
    if (!isFiniteNumber(effectid)) return this.invalid(api, 'effectid must be a number');
    if (!this.loaded.delete(effectid)) return this.invalid(api, `effect ${effectid} is not loaded`);
    for (const mix of Array.from(this.mixes.values())) if (mix.effect && mix.effect.effectId === effectid) this.finishEffect(mix);
    this.log.info(`zm.effect.unloaded ${effectid}`);
    return true;
  }

  // ------------------------------------------------------------------ <audio> mixing

  /** Reference §1.38. The application plays, pauses and seeks the element itself. */
  startMixingAudio(streamid: unknown, localaudio: unknown, replace: unknown): boolean {
    const api = 'startMixingAudio';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    if (!isMediaElement(localaudio)) return this.invalid(api, 'localaudio must be an <audio> (or <video>) element');
    if (!isBoolean(replace)) return this.invalid(api, 'replace must be a boolean');
    const target = this.target(streamid);
    if (target === undefined) return this.invalid(api, `${streamid} is not being published`);
    if (this.mixes.get(streamid)?.element) return this.invalid(api, `${streamid} already mixes an element (stopMixingAudio first)`);
    const mix = this.mixFor(api, streamid, target);
    if (mix === null) return false;
    const m: MixedElement = { el: localaudio, replace, nodes: [], captured: null, onAddTrack: null };
    const captured = safeCapture(localaudio);
    if (captured !== null) {
      // captureStream leaves the element's own playback alone; its audio track appears once media plays.
      m.captured = captured;
      const add = (t: MediaStreamTrack) => {
        if (t.kind !== 'audio' || mix.element !== m) return;
        const src = mix.ctx.createMediaStreamSource(new MediaStream([t]));
        src.connect(mix.fxGain);
        m.nodes.push(src);
      };
      m.onAddTrack = (ev) => add(ev.track);
      captured.addEventListener('addtrack', m.onAddTrack);
      mix.element = m;
      for (const t of captured.getAudioTracks()) add(t);
    } else {
      // No captureStream (Safari): route the element through the graph and on to the speakers, as before.
      let src = this.elementSources.get(localaudio);
      try {
        if (src === undefined || src.context !== mix.ctx) {
          src = mix.ctx.createMediaElementSource(localaudio);
          this.elementSources.set(localaudio, src);
          src.connect(mix.ctx.destination);
        }
      } catch (e) {
        this.maybeIdle(mix);
        return this.invalid(api, `cannot capture the element's audio: ${String(e)}`);
      }
      src.connect(mix.fxGain);
      m.nodes.push(src);
      mix.element = m;
    }
    this.applyReplace(mix);
    this.audio.running().catch((e: unknown) => this.log.error(`zm.mixing.start ${String(e)}`));
    this.log.info(`zm.mixing.start ${streamid} replace=${replace} capture=${captured !== null}`);
    return true;
  }

  /** Reference §1.39. False when the stream mixes no element. */
  stopMixingAudio(streamid: unknown): boolean {
    const api = 'stopMixingAudio';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    const mix = this.mixes.get(streamid);
    if (!mix || !mix.element) return this.invalid(api, `${streamid} mixes no element`);
    this.detachElement(mix);
    this.log.info(`zm.mixing.stop ${streamid}`);
    this.applyReplace(mix);
    this.maybeIdle(mix);
    return true;
  }

  /** Reference §1.40: 0–100 for effects and the mixed element of a published stream (kept for later ones). */
  setMixingAudioVolume(streamid: unknown, volume: unknown): boolean {
    const api = 'setMixingAudioVolume';
    if (!isNonEmptyString(streamid)) return this.invalid(api, 'streamid must be a non-empty string');
    if (!isFiniteNumber(volume) || volume < 0 || volume > MAX_MIX_VOLUME) return this.invalid(api, `volume must be a number in 0–${MAX_MIX_VOLUME}`);
    if (this.target(streamid) === undefined) return this.invalid(api, `${streamid} is not being published`);
    this.volumes.set(streamid, volume);
    const mix = this.mixes.get(streamid);
    if (mix) mix.fxGain.gain.value = volume / MAX_MIX_VOLUME;
    this.log.info(`zm.mixing.volume ${streamid} ${volume}`);
    return true;
  }

  // ------------------------------------------------------------------ media module hooks

  /** The stream is no longer published: its effect ends (end callback), the element is let go. */
  streamEnded(streamId: string): void {
    this.volumes.delete(streamId);
    const mix = this.mixes.get(streamId);
    if (mix === undefined) return;
    if (mix.element) this.detachElement(mix);
    if (mix.effect) this.finishEffect(mix);
    this.idle(mix);
  }

  /** switchDevice gave the preview another microphone: the graph takes it (the sender keeps the mix). */
  micReplaced(streamId: string, track: MediaStreamTrack): void {
    const mix = this.mixes.get(streamId);
    if (mix === undefined) return;
    if (mix.micSource) mix.micSource.disconnect();
    mix.micSource = mix.ctx.createMediaStreamSource(new MediaStream([track]));
    mix.micSource.connect(mix.micGain);
  }

  isMixing(streamId: string): boolean {
    return this.mixes.has(streamId);
  }

  release(): void {
    for (const id of Array.from(this.mixes.keys())) this.streamEnded(id);
    this.loaded.clear();
  }

  // ------------------------------------------------------------------ internals

  private mixFor(api: string, streamId: string, target: MixTarget): StreamMix | null {
    const have = this.mixes.get(streamId);
    if (have) return have;
    const mic = target.micTrack();
    if (mic === null) {
      this.invalid(api, `${streamId} sends no audio (publish a preview with audio to mix into it)`);
      return null;
    }
    const ctx = this.audio.get();
    if (ctx === null) {
      this.invalid(api, "browser don't support Web Audio");
      return null;
    }
    const dest = ctx.createMediaStreamDestination();
    const micGain = ctx.createGain();
    const fxGain = ctx.createGain();
    fxGain.gain.value = (this.volumes.get(streamId) ?? MAX_MIX_VOLUME) / MAX_MIX_VOLUME;
    micGain.connect(dest);
    fxGain.connect(dest);
    const micSource = ctx.createMediaStreamSource(new MediaStream([mic]));
    micSource.connect(micGain);
    const mix: StreamMix = { streamId, target, ctx, dest, micGain, micSource, fxGain, effect: null, element: null };
    this.mixes.set(streamId, mix);
    const out = dest.stream.getAudioTracks()[0];
    target.setAudioOverride(out);
    this.log.info(`zm.mixing.graph ${streamId} sends the mix`);
    return mix;
  }

  /** Starts (or restarts after resume) the effect's node once the context runs; start() fires the first time. */
  private runNode(mix: StreamMix, e: PlayingEffect): void {
    this.audio.running().then(
      (ctx) => {
        if (mix.effect !== e || e.paused || e.node !== null) return;
        const node = ctx.createBufferSource();
        node.buffer = e.buffer;
        node.loop = e.loop;
        node.connect(mix.fxGain);
        node.onended = () => {
          if (e.node === node) this.finishEffect(mix);
        };
        e.node = node;
        e.startedAt = ctx.currentTime;
        node.start(0, e.offset);
        if (!e.started) {
          e.started = true;
          this.callUser('playEffect.start', e.start);
        }
      },
      (err: unknown) => this.log.error(`zm.effect.play ${String(err)}`),
    );
  }

  private dropNode(e: PlayingEffect): void {
    const node = e.node;
    e.node = null;
    if (node === null) return;
    node.onended = null;
    try {
      node.stop();
    } catch {
      /* never started */
    }
    node.disconnect();
  }

  private finishEffect(mix: StreamMix): void {
    const e = mix.effect;
    if (e === null) return;
    mix.effect = null;
    this.dropNode(e);
    this.log.info(`zm.effect.end ${e.effectId} on ${mix.streamId}`);
    this.callUser('playEffect.end', e.end);
    this.applyReplace(mix);
    this.maybeIdle(mix);
  }

  private detachElement(mix: StreamMix): void {
    const m = mix.element;
    if (m === null) return;
    mix.element = null;
    for (const n of m.nodes) {
      // An element source stays connected to the speakers: only its branch into the mix goes.
      if (typeof MediaElementAudioSourceNode !== 'undefined' && n instanceof MediaElementAudioSourceNode) n.disconnect(mix.fxGain);
      else n.disconnect();
    }
    if (m.captured !== null) {
      if (m.onAddTrack) m.captured.removeEventListener('addtrack', m.onAddTrack);
      for (const t of m.captured.getTracks()) t.stop();
    }
  }

  private applyReplace(mix: StreamMix): void {
    const replace = (mix.effect !== null && mix.effect.replace) || (mix.element !== null && mix.element.replace);
    mix.micGain.gain.value = replace ? 0 : 1;
  }

  private maybeIdle(mix: StreamMix): void {
    if (mix.effect === null && mix.element === null) this.idle(mix);
  }

  /** Nothing mixed any more: the sender gets the microphone back and the graph goes. */
  private idle(mix: StreamMix): void {
    if (this.mixes.get(mix.streamId) !== mix) return;
    this.mixes.delete(mix.streamId);
    mix.target.setAudioOverride(null);
    if (mix.micSource) mix.micSource.disconnect();
    mix.micGain.disconnect();
    mix.fxGain.disconnect();
    for (const t of mix.dest.stream.getTracks()) t.stop();
    this.log.info(`zm.mixing.graph ${mix.streamId} sends the microphone again`);
  }

  private invalid(api: string, why: string): false {
    this.log.error(`zc.${api}.param ${why}`);
    return false;
  }
}

function isMediaElement(v: unknown): v is HTMLMediaElement {
  return typeof v === 'object' && v !== null && 'srcObject' in v && typeof (v as { play?: unknown }).play === 'function';
}

function safeCapture(el: HTMLMediaElement): MediaStream | null {
  try {
    return captureElement(el);
  } catch {
    return null; // e.g. a cross-origin source without CORS
  }
}
