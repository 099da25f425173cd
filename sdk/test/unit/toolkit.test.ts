// Media toolkit logic without a browser: the effects/mixing graph over a fake AudioContext, the WebM duration
// patch, recorder types and clock, screen-sharing constraints and the legacy Chrome extension protocol, and
// supportDetection's screenSharing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AudioEffects, checkMixConfig, effectPosition, type MixTarget } from '../../src/media/effects';
import { ActiveClock, pickMimeType, recordExtension } from '../../src/media/recorder';
import { ChromeExtensionBridge, chromeDesktopConstraints, displayMediaOptions, ScreenSharing, screenSharingSupported } from '../../src/media/screen';
import { rms, SharedAudioContext } from '../../src/media/web-audio';
import { encodeSize, patchWebmDuration, readWebmDuration } from '../../src/media/webm';
import { Logger } from '../../src/logging/logger';
import { ZegoClient } from '../../src/zego-client';

const quietLog = (): Logger => {
  const l = new Logger(() => ({ appid: 0, roomid: '', userid: '', userName: '', sessionid: '' }));
  l.setLocalLevel(100);
  return l;
};

// ------------------------------------------------------------------ a fake Web Audio graph

class FakeNode {
  outputs = new Set<FakeNode>();
  constructor(readonly kind: string) {}
  connect(n: FakeNode): FakeNode {
    this.outputs.add(n);
    return n;
  }
  disconnect(n?: FakeNode): void {
    if (n) this.outputs.delete(n);
    else this.outputs.clear();
  }
}
class FakeGain extends FakeNode {
  gain = { value: 1 };
  constructor() {
    super('gain');
  }
}
class FakeTrack {
  readyState = 'live';
  constructor(readonly kind: string) {}
  stop(): void {
    this.readyState = 'ended';
  }
}
class FakeStream {
  constructor(readonly tracks: FakeTrack[] = []) {}
  getTracks(): FakeTrack[] {
    return this.tracks;
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
}
class FakeBufferSource extends FakeNode {
  buffer: unknown = null;
  loop = false;
  onended: (() => void) | null = null;
  startedWith: [number, number] | null = null;
  stopped = false;
  constructor() {
    super('buffer');
  }
  start(when: number, offset: number): void {
    this.startedWith = [when, offset];
  }
  stop(): void {
    this.stopped = true;
  }
}
class FakeAudioContext {
  state = 'running';
  currentTime = 0;
  destination = new FakeNode('speakers');
  sources: FakeBufferSource[] = [];
  streamSources: (FakeNode & { stream: FakeStream })[] = [];
  dests: (FakeNode & { stream: FakeStream })[] = [];
  resume(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  createGain(): FakeGain {
    return new FakeGain();
  }
  createMediaStreamDestination(): FakeNode & { stream: FakeStream } {
    const d = Object.assign(new FakeNode('dest'), { stream: new FakeStream([new FakeTrack('audio')]) });
    this.dests.push(d);
    return d;
  }
  createMediaStreamSource(stream: FakeStream): FakeNode & { stream: FakeStream } {
    const s = Object.assign(new FakeNode('mic'), { stream });
    this.streamSources.push(s);
    return s;
  }
  createBufferSource(): FakeBufferSource {
    const s = new FakeBufferSource();
    this.sources.push(s);
    return s;
  }
  decodeAudioData(_d: ArrayBuffer, ok: (b: unknown) => void): void {
    ok({ duration: 2 });
  }
}

class FakeTarget implements MixTarget {
  override: unknown = 'none';
  constructor(readonly mic: FakeTrack | null = new FakeTrack('audio')) {}
  micTrack(): MediaStreamTrack | null {
    return this.mic as unknown as MediaStreamTrack | null;
  }
  setAudioOverride(track: MediaStreamTrack | null): void {
    this.override = track;
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('effects and mixing (reference §1.33–§1.40)', () => {
  let ctx: FakeAudioContext;
  let targets: Map<string, FakeTarget>;
  let calls: { name: string; args: unknown[] }[];
  let fx: AudioEffects;

  beforeEach(() => {
    ctx = new FakeAudioContext();
    vi.stubGlobal('AudioContext', function () {
      return ctx;
    });
    vi.stubGlobal('MediaStream', FakeStream);
    vi.stubGlobal('fetch', (url: string) =>
      Promise.resolve(url.includes('missing') ? { ok: false, status: 404 } : { ok: true, status: 200, arrayBuffer: () => Promise.resolve(new ArrayBuffer(8)) }),
    );
    targets = new Map([['s1', new FakeTarget()], ['silent', new FakeTarget(null)]]);
    calls = [];
    fx = new AudioEffects(quietLog(), new SharedAudioContext(quietLog()), (id) => targets.get(id), (name, fn, ...args) => {
      calls.push({ name, args });
      if (typeof fn === 'function') (fn as (...a: unknown[]) => void)(...args);
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  const load = async (id: number, url = 'fx.wav') => {
    const cb = vi.fn();
    expect(fx.preloadEffect(id, url, cb)).toBe(true);
    await flush();
    await flush();
    return cb;
  };

  it('effectPosition wraps a loop and stops at the end otherwise; checkMixConfig defaults and rejects', () => {
    expect(effectPosition(0.5, 1, 2, false)).toBe(1.5);
    expect(effectPosition(1.5, 1, 2, true)).toBe(0.5);
    expect(effectPosition(1.5, 1, 2, false)).toBe(2);
    expect(checkMixConfig({ streamId: 's', effectId: 1 })).toEqual({ ok: true, cfg: { streamId: 's', effectId: 1, loop: false, replace: false, playTime: 0 } });
    for (const bad of [null, [], { streamId: '', effectId: 1 }, { streamId: 's' }, { streamId: 's', effectId: 1, loop: 1 }, { streamId: 's', effectId: 1, playTime: -1 }]) {
      expect(checkMixConfig(bad).ok).toBe(false);
    }
    expect(rms([])).toBe(0);
    expect(rms([0.5, -0.5, 0.5, -0.5])).toBeCloseTo(0.5);
  });

  it('preloadEffect: callBack() when decoded, callBack(err) with an error code when the load fails; ids are unique', async () => {
    const ok = await load(1);
    expect(ok).toHaveBeenCalledWith();
    expect(fx.preloadEffect(1, 'again.wav')).toBe(false);
    const missing = await load(2, 'missing.wav');
    expect(missing.mock.calls[0][0]).toEqual({ code: 'ZegoClient.Error.Network', msg: 'load effect failed: HTTP 404' });
    expect(fx.preloadEffect(2, 'now-free.wav')).toBe(true); // a failed load frees its id
    expect(fx.preloadEffect(NaN, 'x')).toBe(false);
    expect(fx.preloadEffect(3, '')).toBe(false);
    expect(fx.preloadEffect(3, 'x', 'not a function')).toBe(false);
  });

  it('playEffect sends the graph instead of the microphone; replace mutes the mic branch; the end restores the microphone', async () => {
    await load(1);
    const start = vi.fn();
    const end = vi.fn();
    expect(fx.playEffect({ streamId: 's1', effectId: 1, playTime: 500, replace: true }, start, end)).toBe(true);
    const t = targets.get('s1') as FakeTarget;
    expect(t.override).toBe(ctx.dests[0].stream.tracks[0]);
    const micGain = [...ctx.streamSources[0].outputs][0] as FakeGain;
    expect(micGain.gain.value).toBe(0);
    await flush();
    const node = ctx.sources[0];
    expect(node.startedWith).toEqual([0, 0.5]);
    expect(start).toHaveBeenCalledTimes(1);
    node.onended?.();
    expect(end).toHaveBeenCalledTimes(1);
    expect(t.override).toBe(null);
    expect(ctx.dests[0].stream.tracks[0].readyState).toBe('ended');
    expect(fx.isMixing('s1')).toBe(false);
  });

  it('pause remembers the position, resume starts a new node there (start fires once); one effect per stream', async () => {
    await load(1);
    const start = vi.fn();
    expect(fx.playEffect({ streamId: 's1', effectId: 1, loop: true, playTime: 1000 }, start)).toBe(true);
    await flush();
    expect(fx.playEffect({ streamId: 's1', effectId: 1 })).toBe(false);
    ctx.currentTime = 1.5; // 1.5 s after the start at 1.0 s into a 2 s loop → 0.5 s
    expect(fx.pauseEffect('s1')).toBe(true);
    expect(ctx.sources[0].stopped).toBe(true);
    expect(fx.pauseEffect('s1')).toBe(false);
    expect(fx.resumeEffect('s1')).toBe(true);
    await flush();
    expect(ctx.sources[1].startedWith).toEqual([0, 0.5]);
    expect(ctx.sources[1].loop).toBe(true);
    expect(start).toHaveBeenCalledTimes(1);
    expect(fx.resumeEffect('s1')).toBe(false);
    // the stopped node's late onended must not end the effect
    ctx.sources[0].onended?.();
    expect(fx.isMixing('s1')).toBe(true);
  });

  it('invalid plays: unknown effect, stream not published or without audio, playTime past the end', async () => {
    await load(1);
    expect(fx.playEffect({ streamId: 's1', effectId: 9 })).toBe(false);
    expect(fx.playEffect({ streamId: 'nope', effectId: 1 })).toBe(false);
    expect(fx.playEffect({ streamId: 'silent', effectId: 1 })).toBe(false);
    expect(fx.playEffect({ streamId: 's1', effectId: 1, playTime: 2000 })).toBe(false);
    expect(fx.playEffect({ streamId: 's1', effectId: 1, playTime: 2500, loop: true })).toBe(true);
    expect(fx.playEffect({ streamId: 's1', effectId: 1 }, 'x')).toBe(false);
  });

  it('setMixingAudioVolume sets the effects gain (0–100), also before mixing starts; unloadEffect and streamEnded end effects', async () => {
    await load(1);
    expect(fx.setMixingAudioVolume('s1', 30)).toBe(true);
    expect(fx.setMixingAudioVolume('s1', 101)).toBe(false);
    expect(fx.setMixingAudioVolume('s1', -1)).toBe(false);
    expect(fx.setMixingAudioVolume('nope', 50)).toBe(false);
    const end = vi.fn();
    fx.playEffect({ streamId: 's1', effectId: 1 }, undefined, end);
    await flush();
    const fxGain = [...ctx.sources[0].outputs][0] as FakeGain;
    expect(fxGain.gain.value).toBeCloseTo(0.3);
    expect(fx.setMixingAudioVolume('s1', 80)).toBe(true);
    expect(fxGain.gain.value).toBeCloseTo(0.8);
    expect(fx.unloadEffect(1)).toBe(true);
    expect(end).toHaveBeenCalledTimes(1);
    expect(fx.unloadEffect(1)).toBe(false);

    await load(2);
    const end2 = vi.fn();
    fx.playEffect({ streamId: 's1', effectId: 2 }, undefined, end2);
    fx.streamEnded('s1');
    expect(end2).toHaveBeenCalledTimes(1);
    expect((targets.get('s1') as FakeTarget).override).toBe(null);
  });

  it('switchDevice while mixing: the graph takes the new microphone', async () => {
    await load(1);
    fx.playEffect({ streamId: 's1', effectId: 1, loop: true });
    const newMic = new FakeTrack('audio');
    fx.micReplaced('s1', newMic as unknown as MediaStreamTrack);
    const last = ctx.streamSources[ctx.streamSources.length - 1];
    expect(last.stream.tracks[0]).toBe(newMic);
    expect(ctx.streamSources[0].outputs.size).toBe(0);
  });

  it('startMixingAudio: the element (captureStream) feeds the effects gain; replace; stopMixingAudio restores the microphone', () => {
    const audioTrack = new FakeTrack('audio');
    const captured = Object.assign(new FakeStream([audioTrack]), { addEventListener: vi.fn(), removeEventListener: vi.fn() });
    const el = { srcObject: null, play: () => Promise.resolve(), captureStream: () => captured };
    expect(fx.startMixingAudio('s1', el, 'yes')).toBe(false);
    expect(fx.startMixingAudio('s1', {}, true)).toBe(false);
    expect(fx.startMixingAudio('nope', el, true)).toBe(false);
    expect(fx.startMixingAudio('s1', el, true)).toBe(true);
    expect(fx.startMixingAudio('s1', el, true)).toBe(false);
    const elSource = ctx.streamSources.find((s) => s.stream.tracks[0] === audioTrack);
    expect(elSource).toBeDefined();
    const micGain = [...ctx.streamSources[0].outputs][0] as FakeGain;
    expect(micGain.gain.value).toBe(0);
    expect((targets.get('s1') as FakeTarget).override).not.toBe('none');
    expect(fx.stopMixingAudio('s1')).toBe(true);
    expect(audioTrack.readyState).toBe('ended');
    expect((targets.get('s1') as FakeTarget).override).toBe(null);
    expect(fx.stopMixingAudio('s1')).toBe(false);
  });
});

// ------------------------------------------------------------------ WebM duration

/** EBML element: id bytes, 8-byte size (as libwebm writes Info), body. */
function el(id: number[], body: number[], sizeWidth = 8): number[] {
  return [...id, ...Array.from(encodeSize(body.length, sizeWidth) as Uint8Array), ...body];
}
const UNKNOWN = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const EBML = el([0x1a, 0x45, 0xdf, 0xa3], [0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d], 1);
const INFO = el([0x15, 0x49, 0xa9, 0x66], [0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40, 0x4d, 0x80, 0x81, 0x43]);
const TRACKS = el([0x16, 0x54, 0xae, 0x6b], [0xae, 0x80], 1);
const CLUSTER = [0x1f, 0x43, 0xb6, 0x75, ...UNKNOWN, 0xe7, 0x81, 0x00];

describe('WebM duration (saveRecord)', () => {
  it('adds Duration to the Info of a MediaRecorder-style file (unknown Segment size)', () => {
    const file = new Uint8Array([...EBML, 0x18, 0x53, 0x80, 0x67, ...UNKNOWN, ...INFO, ...TRACKS, ...CLUSTER]);
    expect(readWebmDuration(file)).toBe(null);
    const out = patchWebmDuration(file, 2500) as Uint8Array;
    expect(out.length).toBe(file.length + 11);
    expect(readWebmDuration(out)).toBeCloseTo(2500);
    // the rest of the file is untouched
    expect(Array.from(out.subarray(out.length - TRACKS.length - CLUSTER.length))).toEqual([...TRACKS, ...CLUSTER]);
    expect(patchWebmDuration(out, 1000)).toBe(null); // already has one
  });

  it('a known Segment size grows by the inserted bytes; the TimecodeScale is honoured; SeekHead files are left alone', () => {
    const info = el([0x15, 0x49, 0xa9, 0x66], [0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40].map((b, i) => (i >= 4 ? [0x00, 0x03, 0xe8][i - 4] : b))); // scale 1000 ns
    const body = [...info, ...TRACKS];
    const file = new Uint8Array([...EBML, 0x18, 0x53, 0x80, 0x67, ...Array.from(encodeSize(body.length, 8) as Uint8Array), ...body]);
    const out = patchWebmDuration(file, 1500) as Uint8Array;
    expect(readWebmDuration(out)).toBeCloseTo(1500);
    const at = out.findIndex((b, i) => b === 0x44 && out[i + 1] === 0x89 && out[i + 2] === 0x88);
    expect(new DataView(out.buffer, out.byteOffset + at + 3, 8).getFloat64(0)).toBe(1_500_000); // in 1000 ns units
    const segSize = out.subarray(EBML.length + 4, EBML.length + 12);
    expect(segSize[7]).toBe(body.length + 11);
    const seek = new Uint8Array([...EBML, 0x18, 0x53, 0x80, 0x67, ...UNKNOWN, ...el([0x11, 0x4d, 0x9b, 0x74], [0xec, 0x80], 1), ...INFO]);
    expect(patchWebmDuration(seek, 1000)).toBe(null);
    expect(patchWebmDuration(new Uint8Array([1, 2, 3]), 1000)).toBe(null);
    expect(encodeSize(127, 1)).toBe(null); // all ones is "unknown"
    expect(Array.from(encodeSize(126, 1) as Uint8Array)).toEqual([0xfe]);
  });
});

describe('recorder helpers', () => {
  it('type fallbacks VP9 → VP8 → webm (Opus for audio only), file extension, active clock', () => {
    expect(pickMimeType(() => true, false)).toBe('video/webm;codecs=vp9');
    expect(pickMimeType((t) => !t.includes('vp9'), false)).toBe('video/webm;codecs=vp8');
    expect(pickMimeType((t) => t === 'audio/webm', true)).toBe('audio/webm');
    expect(pickMimeType(() => false, false)).toBe('');
    expect(recordExtension('video/webm;codecs=vp9')).toBe('webm');
    expect(recordExtension('video/mp4;codecs=avc1')).toBe('mp4');
    expect(recordExtension('')).toBe('webm');
    let now = 0;
    const c = new ActiveClock(() => now);
    c.run();
    now = 1000;
    c.hold();
    now = 5000;
    c.run();
    now = 5500;
    expect(c.ms).toBe(1500);
  });
});

// ------------------------------------------------------------------ screen sharing

class FakeWindow {
  listeners: ((e: unknown) => void)[] = [];
  posted: unknown[] = [];
  location = { origin: 'https://app.test' };
  addEventListener(_t: string, f: (e: unknown) => void): void {
    this.listeners.push(f);
  }
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  deliver(data: unknown): void {
    for (const f of this.listeners) f({ data, source: this });
  }
}

describe('screen sharing (reference §4)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('constraints: frameRate and audio for getDisplayMedia; the extension source id for getUserMedia', () => {
    expect(displayMediaOptions(15, true)).toEqual({ video: { frameRate: 15 }, audio: true });
    expect(displayMediaOptions(10, false, 'window')).toEqual({ video: { frameRate: 10, displaySurface: 'window' }, audio: false });
    expect(chromeDesktopConstraints('src-1', 15)).toEqual({
      audio: false,
      video: { mandatory: { chromeMediaSource: 'desktop', chromeMediaSourceId: 'src-1', maxFrameRate: 15 } },
    });
  });

  it('the legacy Chrome extension: SS_PING marks it installed, SS_UI_REQUEST → SS_DIALOG_SUCCESS / CANCEL', async () => {
    const win = new FakeWindow();
    const b = new ChromeExtensionBridge(win as unknown as Window);
    await expect(b.request()).rejects.toMatchObject({ name: 'NotSupportedError' });
    win.deliver({ type: 'SS_PING', text: 'start' });
    expect(b.installed).toBe(true);
    const p = b.request();
    expect(win.posted).toEqual([{ type: 'SS_UI_REQUEST', text: 'start', url: 'https://app.test' }]);
    win.deliver({ type: 'SS_DIALOG_SUCCESS', text: 'success', streamId: 'desk-7' });
    await expect(p).resolves.toBe('desk-7');
    const q = b.request();
    win.deliver({ type: 'SS_DIALOG_CANCEL', text: 'failed' });
    await expect(q).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('startScreenShotChrome without getDisplayMedia uses the extension; Firefox without it uses mediaSource; ended → callback', async () => {
    const video = Object.assign(new FakeTrack('video'), {
      handlers: [] as (() => void)[],
      addEventListener(_t: string, f: () => void) {
        this.handlers.push(f);
      },
    });
    const stream = new FakeStream([video]) as unknown as MediaStream & { getVideoTracks(): unknown[] };
    (stream as unknown as { getVideoTracks: () => unknown[] }).getVideoTracks = () => [video];
    const gum = vi.fn(() => Promise.resolve(stream));
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia: gum, getSupportedConstraints: () => ({ mediaSource: true }) } });
    const win = new FakeWindow();
    const ended = vi.fn();
    const user: { name: string; args: unknown[] }[] = [];
    const s = new ScreenSharing(quietLog(), ended, (name, fn, ...args) => {
      user.push({ name, args });
      if (typeof fn === 'function') (fn as (...a: unknown[]) => void)(...args);
    }, win as unknown as Window);
    expect(screenSharingSupported()).toBe(true);

    const noExt = vi.fn();
    expect(s.startScreenShotChrome(noExt)).toBe(true);
    await flush();
    expect(noExt).toHaveBeenCalledWith(false, "browser don't support");

    win.deliver({ type: 'SS_PING' });
    const cb = vi.fn();
    expect(s.startScreenShotChrome(cb)).toBe(true);
    win.deliver({ type: 'SS_DIALOG_SUCCESS', streamId: 'desk-1' });
    await flush();
    expect(gum).toHaveBeenLastCalledWith(chromeDesktopConstraints('desk-1', 15));
    expect(cb).toHaveBeenCalledWith(true, stream);

    const ff = vi.fn();
    expect(s.startScreenShotFirFox('window', true, ff)).toBe(true);
    await flush();
    expect(gum).toHaveBeenLastCalledWith({ video: { mediaSource: 'window' }, audio: true });
    expect(s.startScreenShotFirFox('desktop', true, ff)).toBe(false);
    expect(s.startScreenSharing({}, false, vi.fn())).toBe(true); // no getDisplayMedia: callback(false)
    await flush();
    expect(user[user.length - 1]).toEqual({ name: 'startScreenSharing.callback', args: [false, "browser don't support"] });

    // the browser ends the share: onScreenSharingEnded(stream), once
    for (const h of video.handlers) h();
    expect(ended).toHaveBeenCalledWith(stream);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(s.stopScreenShot()).toBe(false);
  });

  it('supportDetection: screenSharing from getDisplayMedia or mediaSource; false without either', async () => {
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia: () => undefined } });
    const res = await new Promise<Record<string, unknown>>((r) => ZegoClient.supportDetection(r as never));
    expect(res.screenSharing).toBe(false);
    expect(res.capture).toBe(true);
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia: () => undefined, getDisplayMedia: () => undefined } });
    const res2 = await new Promise<Record<string, unknown>>((r) => ZegoClient.supportDetection(r as never));
    expect(res2.screenSharing).toBe(true);
  });
});
