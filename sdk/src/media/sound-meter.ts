/**
 * getAudioInfo (reference §3.5): a "sounder" object whose `instant` property is the current level of the audio
 * an element plays (a preview, a played stream, or any element with a MediaStream), as the original's sound
 * meter: the RMS of the last ~43 ms of samples, 0 (silence) … ~0.7 (a full-scale sine). It is computed when read
 * from an AnalyserNode, so it is always live and costs nothing between reads. `stop()` (not enumerable, so the
 * object shows just its level when logged) releases the nodes.
 */
import { rms } from './web-audio';

export interface SoundMeter {
  readonly instant: number;
  stop(): void;
}

/** Builds the meter's graph: source → analyser → silent gain → destination (so every browser pulls it). */
export function createSoundMeter(ctx: AudioContext, stream: MediaStream): SoundMeter {
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  const sink = ctx.createGain();
  sink.gain.value = 0;
  source.connect(analyser);
  analyser.connect(sink);
  sink.connect(ctx.destination);
  const buf = new Float32Array(analyser.fftSize);
  let stopped = false;
  const meter = {} as SoundMeter;
  Object.defineProperty(meter, 'instant', {
    enumerable: true,
    get: () => {
      if (stopped) return 0;
      analyser.getFloatTimeDomainData(buf);
      return rms(buf);
    },
  });
  Object.defineProperty(meter, 'stop', {
    enumerable: false,
    value: () => {
      if (stopped) return;
      stopped = true;
      source.disconnect();
      analyser.disconnect();
      sink.disconnect();
    },
  });
  return meter;
}
