/**
 * Recording (reference §3.7–§3.11), static as the reference says: one recording per page at a time. The
 * MediaRecorder records what an element plays: its MediaStream (a preview, a played stream, a screen share) or,
 * for a file/URL source, `captureStream()`. `{audio: true}` records the audio tracks only; with `audioInput`
 * (a microphone's deviceId, or true for the default one) it records that microphone instead. Formats: WebM
 * (VP9 → VP8 → browser default; Opus for audio-only), as the original; a browser without WebM (Safari) gives
 * MP4 and the saved file is named after it. saveRecord writes the recorded (unpaused) duration into the WebM
 * header (webm.ts) so the file shows its length and seeks at once.
 */
import { isBoolean, isNonEmptyString, isPlainObject, isString } from '../validation';
import { errorName, getUserMedia } from './devices';
import { downloadBlob } from './download';
import { invalidStatic, staticLog } from './static-log';
import { captureElement, elementStream } from './web-audio';
import { patchWebmDuration } from './webm';

export const VIDEO_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];
export const AUDIO_TYPES = ['audio/webm;codecs=opus', 'audio/webm'];
/** Data every 100 ms, so saveRecord during a recording saves what was recorded so far. */
const TIMESLICE_MS = 100;
/** The WebM header (EBML, Segment start, Info) sits in the first bytes. */
const HEADER_BYTES = 4096;

/** The first type the browser can record ('' = its default). */
export function pickMimeType(isTypeSupported: (t: string) => boolean, audioOnly: boolean): string {
  for (const t of audioOnly ? AUDIO_TYPES : VIDEO_TYPES) {
    try {
      if (isTypeSupported(t)) return t;
    } catch {
      /* keep looking */
    }
  }
  return '';
}

/** File extension for a recorder's type: webm unless the browser recorded MP4 or Ogg. */
export function recordExtension(mime: string): string {
  const m = /^(?:audio|video)\/([a-z0-9]+)/i.exec(mime);
  const sub = m ? m[1].toLowerCase() : 'webm';
  return sub === 'mp4' || sub === 'ogg' ? sub : 'webm';
}

/** Active (unpaused) time of a recording. */
export class ActiveClock {
  private total = 0;
  private since: number | null = null;
  constructor(private readonly now: () => number) {}
  run(): void {
    if (this.since === null) this.since = this.now();
  }
  hold(): void {
    if (this.since !== null) this.total += this.now() - this.since;
    this.since = null;
  }
  get ms(): number {
    return this.total + (this.since !== null ? this.now() - this.since : 0);
  }
}

interface Recording {
  recorder: MediaRecorder | null;
  chunks: Blob[];
  mime: string;
  clock: ActiveClock;
  /** Microphone tracks captured for this recording (stopped with it). */
  own: MediaStreamTrack[];
  /** Resolves when the recorder has delivered its last data. */
  done: Promise<void>;
  finish: () => void;
  cancelled: boolean;
}

let current: Recording | null = null;

function recorderCtor(): (typeof MediaRecorder) | null {
  const g = globalThis as unknown as { MediaRecorder?: typeof MediaRecorder };
  return typeof g.MediaRecorder === 'function' ? g.MediaRecorder : null;
}

function isMediaElement(v: unknown): v is HTMLMediaElement {
  return typeof v === 'object' && v !== null && 'srcObject' in v && typeof (v as { play?: unknown }).play === 'function';
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Reference §3.7. False when already recording, or there is nothing to record. */
export function startRecord(videoElement: unknown, constraints?: unknown): boolean {
  const api = 'startRecord';
  if (!isMediaElement(videoElement)) return invalidStatic(api, 'videoElement must be a <video> element');
  if (constraints !== undefined && constraints !== null && !isPlainObject(constraints)) return invalidStatic(api, 'constraints must be an object');
  const c = (constraints ?? {}) as Record<string, unknown>;
  if (c.audio !== undefined && !isBoolean(c.audio)) return invalidStatic(api, 'constraints.audio must be a boolean');
  if (c.audioInput !== undefined && c.audioInput !== null && !isString(c.audioInput) && !isBoolean(c.audioInput)) {
    return invalidStatic(api, 'constraints.audioInput must be a deviceId (or true for the default microphone)');
  }
  const Rec = recorderCtor();
  if (Rec === null) return invalidStatic(api, "browser don't support MediaRecorder");
  if (current !== null && (current.recorder === null || current.recorder.state !== 'inactive') && !current.cancelled) {
    return invalidStatic(api, 'already recording (stopRecord first)');
  }
  const audioOnly = c.audio === true;
  const mime = pickMimeType((t) => Rec.isTypeSupported(t), audioOnly);
  let finish = () => undefined as void;
  const done = new Promise<void>((r) => (finish = r));
  const rec: Recording = { recorder: null, chunks: [], mime, clock: new ActiveClock(now), own: [], done, finish, cancelled: false };

  const begin = (stream: MediaStream): boolean => {
    if (rec.cancelled) {
      for (const t of rec.own) t.stop();
      return false;
    }
    let r: MediaRecorder;
    try {
      r = new Rec(stream, mime === '' ? undefined : { mimeType: mime });
    } catch (e) {
      staticLog.error(`zc.startRecord cannot record: ${errorName(e)}`);
      return false;
    }
    rec.recorder = r;
    rec.mime = r.mimeType || mime;
    r.ondataavailable = (e) => {
      if (e.data && e.data.size > 0) rec.chunks.push(e.data);
    };
    r.onstop = () => {
      rec.clock.hold();
      for (const t of rec.own) t.stop();
      rec.finish();
    };
    r.onerror = (e) => staticLog.error(`zc.record error ${String((e as unknown as { error?: unknown }).error ?? e)}`);
    r.start(TIMESLICE_MS);
    rec.clock.run();
    staticLog.info(`zc.startRecord ${rec.mime || 'default type'} tracks=${stream.getTracks().map((t) => t.kind).join(',')}`);
    return true;
  };

  if (audioOnly && c.audioInput !== undefined && c.audioInput !== null && c.audioInput !== false) {
    const audio: MediaTrackConstraints | boolean = isNonEmptyString(c.audioInput) ? { deviceId: { exact: c.audioInput } } : true;
    current = rec;
    getUserMedia({ audio }).then(
      (s) => {
        rec.own = s.getTracks();
        if (!begin(s)) {
          for (const t of rec.own) t.stop();
          if (current === rec) current = null;
        }
      },
      (e: unknown) => {
        staticLog.error(`zc.startRecord microphone failed: ${errorName(e)}`);
        if (current === rec) current = null;
      },
    );
    return true;
  }
  let source: MediaStream | null = elementStream(videoElement);
  if (source === null) {
    try {
      source = captureElement(videoElement);
    } catch (e) {
      return invalidStatic(api, `cannot capture the element: ${errorName(e)}`);
    }
  }
  if (source === null) return invalidStatic(api, 'the element plays no MediaStream and cannot be captured');
  const tracks = audioOnly ? source.getAudioTracks() : source.getTracks();
  if (tracks.length === 0) return invalidStatic(api, audioOnly ? 'the element has no audio track' : 'the element has no track to record');
  if (!begin(audioOnly ? new MediaStream(tracks) : source)) return false;
  current = rec;
  return true;
}

function active(api: string): MediaRecorder | null {
  const r = current && !current.cancelled ? current.recorder : null;
  if (r === null || r.state === 'inactive') {
    invalidStatic(api, 'not recording');
    return null;
  }
  return r;
}

/** Reference §3.8. */
export function pauseRecord(): boolean {
  const r = active('pauseRecord');
  if (r === null || current === null) return false;
  if (r.state === 'paused') return invalidStatic('pauseRecord', 'already paused');
  r.pause();
  current.clock.hold();
  staticLog.info('zc.pauseRecord');
  return true;
}

/** Reference §3.9. */
export function resumeRecord(): boolean {
  const r = active('resumeRecord');
  if (r === null || current === null) return false;
  if (r.state !== 'paused') return invalidStatic('resumeRecord', 'not paused');
  r.resume();
  current.clock.run();
  staticLog.info('zc.resumeRecord');
  return true;
}

/** Reference §3.10. The recording stays available to saveRecord until the next startRecord. */
export function stopRecord(): boolean {
  if (current !== null && current.recorder === null && !current.cancelled) {
    // the microphone is still being opened: nothing recorded yet
    current.cancelled = true;
    current = null;
    staticLog.info('zc.stopRecord before the recording began');
    return true;
  }
  const r = active('stopRecord');
  if (r === null || current === null) return false;
  current.clock.hold();
  r.stop();
  staticLog.info(`zc.stopRecord ${Math.round(current.clock.ms)} ms`);
  return true;
}

/**
 * Reference §3.11: downloads `<name>.webm`. After stopRecord, once the recorder delivered its last data;
 * during a recording, what was recorded so far.
 */
export function saveRecord(name: unknown): boolean {
  const api = 'saveRecord';
  if (!isNonEmptyString(name)) return invalidStatic(api, 'name must be a non-empty string');
  const rec = current;
  if (rec === null || rec.recorder === null) return invalidStatic(api, 'nothing recorded');
  const stopping = rec.recorder.state === 'inactive';
  const ready = stopping ? rec.done : Promise.resolve();
  ready
    .then(() => buildFile(rec))
    .then(
      (blob) => {
        const file = `${name}.${recordExtension(rec.mime)}`;
        downloadBlob(blob, file);
        staticLog.info(`zc.saveRecord ${file} ${blob.size} bytes ${Math.round(rec.clock.ms)} ms`);
      },
      (e: unknown) => staticLog.error(`zc.saveRecord failed: ${errorName(e)}`),
    );
  return true;
}

/** The recording as one Blob, its WebM header carrying the duration when it can. */
function buildFile(rec: Recording): Promise<Blob> {
  const type = rec.mime || (rec.chunks[0] ? rec.chunks[0].type : '');
  const whole = new Blob(rec.chunks, { type });
  if (recordExtension(type) !== 'webm' || whole.size === 0) return Promise.resolve(whole);
  const head = whole.slice(0, HEADER_BYTES);
  return blobBytes(head).then((bytes) => {
    const patched = patchWebmDuration(bytes, rec.clock.ms);
    if (patched === null) return whole;
    return new Blob([patched, whole.slice(HEADER_BYTES)], { type });
  });
}

function blobBytes(b: Blob): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof b.arrayBuffer === 'function') return b.arrayBuffer().then((a) => new Uint8Array(a));
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(b);
  });
}
