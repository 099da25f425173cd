/**
 * Writes the duration into a WebM header. MediaRecorder streams its output, so the Segment Info carries no
 * Duration: players then report `duration = Infinity` and cannot seek until they have read the whole file.
 * saveRecord knows the recorded time and adds the Duration element (EBML id 0x4489, float64) to Info. Only the
 * header bytes change; the Segment keeps its "unknown" size (as MediaRecorder writes it) or grows by the
 * inserted bytes. A file with a SeekHead (absolute positions that would shift) is left alone.
 */

const ID_EBML = 0x1a45dfa3;
const ID_SEGMENT = 0x18538067;
const ID_SEEK_HEAD = 0x114d9b74;
const ID_INFO = 0x1549a966;
const ID_TIMECODE_SCALE = 0x2ad7b1;
const ID_DURATION = 0x4489;

interface Vint {
  value: number;
  /** Index after the field. */
  end: number;
  width: number;
  /** All value bits set: "unknown size". */
  unknown: boolean;
}

function vintWidth(first: number): number {
  for (let w = 1; w <= 8; w++) if (first & (0x100 >> w)) return w;
  return 0;
}

/** An element id: the raw bytes, marker bit included. */
function readId(b: Uint8Array, at: number): Vint | null {
  if (at >= b.length) return null;
  const w = vintWidth(b[at]);
  if (w === 0 || w > 4 || at + w > b.length) return null;
  let v = 0;
  for (let i = 0; i < w; i++) v = v * 256 + b[at + i];
  return { value: v, end: at + w, width: w, unknown: false };
}

/** An element size: the marker bit removed. */
function readSize(b: Uint8Array, at: number): Vint | null {
  if (at >= b.length) return null;
  const w = vintWidth(b[at]);
  if (w === 0 || at + w > b.length) return null;
  let v = b[at] & (0xff >> w);
  let allOnes = v === 0xff >> w;
  for (let i = 1; i < w; i++) {
    v = v * 256 + b[at + i];
    if (b[at + i] !== 0xff) allOnes = false;
  }
  return { value: v, end: at + w, width: w, unknown: allOnes };
}

/** Encodes a size in `width` bytes (1–8); null when it does not fit (all-ones is reserved for "unknown"). */
export function encodeSize(value: number, width: number): Uint8Array | null {
  if (width < 1 || width > 8 || value < 0 || value >= 2 ** (7 * width) - 1) return null;
  const out = new Uint8Array(width);
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] |= 0x80 >> (width - 1);
  return out;
}

function minWidth(value: number): number {
  for (let w = 1; w <= 8; w++) if (value < 2 ** (7 * w) - 1) return w;
  return 8;
}

function readUint(b: Uint8Array, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 256 + b[i];
  return v;
}

/**
 * The WebM bytes with a Duration of `durationMs` in its Segment Info; null when the bytes are not a WebM
 * header this can patch (no Info in them, a SeekHead, a Duration already there).
 */
export function patchWebmDuration(b: Uint8Array, durationMs: number): Uint8Array<ArrayBuffer> | null {
  const ebml = readId(b, 0);
  if (ebml === null || ebml.value !== ID_EBML) return null;
  const ebmlSize = readSize(b, ebml.end);
  if (ebmlSize === null || ebmlSize.unknown) return null;
  const segAt = ebmlSize.end + ebmlSize.value;
  const seg = readId(b, segAt);
  if (seg === null || seg.value !== ID_SEGMENT) return null;
  const segSize = readSize(b, seg.end);
  if (segSize === null) return null;
  let p = segSize.end;
  while (p < b.length) {
    const id = readId(b, p);
    const size = id && readSize(b, id.end);
    if (id === null || size === null || size.unknown) return null;
    if (id.value === ID_SEEK_HEAD) return null;
    if (id.value !== ID_INFO) {
      p = size.end + size.value;
      continue;
    }
    const bodyEnd = size.end + size.value;
    if (bodyEnd > b.length) return null;
    let scale = 1_000_000; // ns per timecode unit: 1 ms by default
    for (let q = size.end; q < bodyEnd; ) {
      const cid = readId(b, q);
      const cs = cid && readSize(b, cid.end);
      if (cid === null || cs === null || cs.unknown) return null;
      if (cid.value === ID_DURATION) return null;
      if (cid.value === ID_TIMECODE_SCALE) scale = readUint(b, cs.end, cs.end + cs.value) || scale;
      q = cs.end + cs.value;
    }
    const duration = new Uint8Array(11);
    duration.set([0x44, 0x89, 0x88]);
    new DataView(duration.buffer).setFloat64(3, (durationMs * 1_000_000) / scale);
    const infoSize = encodeSize(size.value + duration.length, Math.max(size.width, minWidth(size.value + duration.length)));
    if (infoSize === null) return null;
    const added = duration.length + infoSize.length - size.width;
    let segSizeBytes = b.subarray(seg.end, segSize.end);
    if (!segSize.unknown) {
      const s = encodeSize(segSize.value + added, segSize.width);
      if (s === null) return null;
      segSizeBytes = s;
    }
    const parts = [b.subarray(0, seg.end), segSizeBytes, b.subarray(segSize.end, id.end), infoSize, b.subarray(size.end, bodyEnd), duration, b.subarray(bodyEnd)];
    const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of parts) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  }
  return null;
}

/** Reads the Duration (ms) back from a WebM header; null when there is none (tests, diagnostics). */
export function readWebmDuration(b: Uint8Array): number | null {
  const ebml = readId(b, 0);
  const ebmlSize = ebml && readSize(b, ebml.end);
  if (ebml === null || ebmlSize === null || ebml.value !== ID_EBML) return null;
  const seg = readId(b, ebmlSize.end + ebmlSize.value);
  const segSize = seg && readSize(b, seg.end);
  if (seg === null || segSize === null || seg.value !== ID_SEGMENT) return null;
  for (let p = segSize.end; p < b.length; ) {
    const id = readId(b, p);
    const size = id && readSize(b, id.end);
    if (id === null || size === null || size.unknown) return null;
    if (id.value === ID_INFO) {
      let scale = 1_000_000;
      let dur: number | null = null;
      for (let q = size.end; q < size.end + size.value; ) {
        const cid = readId(b, q);
        const cs = cid && readSize(b, cid.end);
        if (cid === null || cs === null) return null;
        const view = new DataView(b.buffer, b.byteOffset + cs.end, cs.value);
        if (cid.value === ID_TIMECODE_SCALE) scale = readUint(b, cs.end, cs.end + cs.value);
        if (cid.value === ID_DURATION) dur = cs.value === 8 ? view.getFloat64(0) : view.getFloat32(0);
        q = cs.end + cs.value;
      }
      return dur === null ? null : (dur * scale) / 1_000_000;
    }
    p = size.end + size.value;
  }
  return null;
}
