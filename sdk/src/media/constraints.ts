/**
 * startPreview options (reference §1.7) → getUserMedia constraints and the encoding parameters the publisher
 * uses (notes §10, presets as notes §13): videoQuality 1 → 240×320 @15 fps 300 kbps, 2 → 480×640 @15 800,
 * 3 → 720×1280 @20 1500, 4 → width/height/frameRate/bitRate from the options (bitRate default 800 kbps), anything
 * else → 640×480 @15 800; `horizontal: true` swaps width and height. Values are plain (ideal) constraints.
 */

export interface VideoPreset {
  width: number;
  height: number;
  frameRate: number;
  /** kbps */
  bitRate: number;
}

export const VIDEO_PRESETS: Readonly<Record<number, VideoPreset>> = {
  1: { width: 240, height: 320, frameRate: 15, bitRate: 300 },
  2: { width: 480, height: 640, frameRate: 15, bitRate: 800 },
  3: { width: 720, height: 1280, frameRate: 20, bitRate: 1500 },
};

export const DEFAULT_VIDEO: VideoPreset = { width: 640, height: 480, frameRate: 15, bitRate: 800 };
/** Opus target bitrate (bps) when the options give none; also the smallest accepted `audioBitRate`. */
export const DEFAULT_AUDIO_BITRATE = 48000;

/** The options object of startPreview (reference §1.7, plus audioBitRate of notes §10). */
export interface PreviewOptions {
  audio?: boolean;
  audioInput?: string;
  video?: boolean;
  facingMode?: string;
  videoInput?: string;
  videoQuality?: number;
  horizontal?: boolean;
  externalCapture?: boolean;
  externalMediaStream?: MediaStream;
  noiseSuppression?: boolean;
  autoGainControl?: boolean;
  echoCancellation?: boolean;
  width?: number;
  height?: number;
  frameRate?: number;
  bitRate?: number;
  /** Spelling of the reference's table for videoQuality 4 and external streams. */
  bitrate?: number;
  audioBitRate?: number;
}

/** What a publisher of this preview encodes with. */
export interface EncodingParams extends VideoPreset {
  /** bps */
  audioBitRate: number;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The video size, frame rate and bitrate an option set asks for. */
export function videoPreset(o: PreviewOptions): VideoPreset {
  let p: VideoPreset;
  const custom = (): VideoPreset => {
    const br = num(o.bitRate) ? o.bitRate : num(o.bitrate) ? o.bitrate : DEFAULT_VIDEO.bitRate;
    return {
      width: num(o.width) ? o.width : DEFAULT_VIDEO.width,
      height: num(o.height) ? o.height : DEFAULT_VIDEO.height,
      frameRate: num(o.frameRate) ? o.frameRate : DEFAULT_VIDEO.frameRate,
      bitRate: br,
    };
  };
  if (o.externalMediaStream !== undefined || o.externalCapture === true || o.videoQuality === 4) p = custom();
  else p = { ...(VIDEO_PRESETS[o.videoQuality as number] ?? DEFAULT_VIDEO) };
  if (o.horizontal === true) p = { ...p, width: p.height, height: p.width };
  return p;
}

export function encodingParams(o: PreviewOptions): EncodingParams {
  return { ...videoPreset(o), audioBitRate: num(o.audioBitRate) ? o.audioBitRate : DEFAULT_AUDIO_BITRATE };
}

/** getUserMedia constraints for a camera/microphone preview. */
export function mediaConstraints(o: PreviewOptions): MediaStreamConstraints {
  const c: MediaStreamConstraints = {};
  if (o.audio !== false) {
    const given = o.audioInput !== undefined || o.noiseSuppression !== undefined || o.autoGainControl !== undefined || o.echoCancellation !== undefined;
    if (!given) c.audio = true;
    else {
      const a: MediaTrackConstraints = {};
      if (typeof o.audioInput === 'string' && o.audioInput !== '') a.deviceId = o.audioInput;
      if (typeof o.noiseSuppression === 'boolean') a.noiseSuppression = o.noiseSuppression;
      if (typeof o.autoGainControl === 'boolean') a.autoGainControl = o.autoGainControl;
      if (typeof o.echoCancellation === 'boolean') a.echoCancellation = o.echoCancellation;
      c.audio = a;
    }
  }
  if (o.video !== false) {
    const p = videoPreset(o);
    const v: MediaTrackConstraints = { width: p.width, height: p.height, frameRate: p.frameRate };
    if (typeof o.facingMode === 'string' && o.facingMode !== '') v.facingMode = o.facingMode;
    else if (typeof o.videoInput === 'string' && o.videoInput !== '') v.deviceId = { exact: o.videoInput };
    c.video = v;
  }
  return c;
}

/** Constraints for re-acquiring one kind with another device (switchDevice), keeping the other settings. */
export function switchConstraints(o: PreviewOptions, kind: 'audio' | 'video', deviceId: string): MediaStreamConstraints {
  const c = mediaConstraints({ ...o, audio: kind === 'audio', video: kind === 'video', facingMode: undefined });
  if (kind === 'audio') {
    const a = typeof c.audio === 'object' ? c.audio : {};
    c.audio = { ...a, deviceId: { exact: deviceId } };
  } else {
    const v = typeof c.video === 'object' ? c.video : {};
    c.video = { ...v, deviceId: { exact: deviceId } };
  }
  return c;
}
