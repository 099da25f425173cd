/**
 * Snapshots (reference §3.6): the frame a `<video>` shows now, drawn on a canvas of the video's own size
 * (videoWidth × videoHeight, not the element's CSS size) and encoded as JPEG — into an `<img>` (takeSnapShot)
 * or as a download `<name>.jpg` (saveSnapShot).
 */
import { isNonEmptyString } from '../validation';
import { downloadBlob } from './download';
import { invalidStatic, staticLog } from './static-log';

export const SNAPSHOT_TYPE = 'image/jpeg';
const SNAPSHOT_QUALITY = 0.92;

function isVideoElement(v: unknown): v is HTMLVideoElement {
  return typeof v === 'object' && v !== null && typeof (v as HTMLVideoElement).videoWidth === 'number' && 'srcObject' in v;
}

function isImgElement(v: unknown): v is HTMLImageElement {
  return typeof v === 'object' && v !== null && typeof (v as { tagName?: unknown }).tagName === 'string' && (v as HTMLElement).tagName.toUpperCase() === 'IMG';
}

/** The current frame on a canvas, or null (and a log line) when there is none to take. */
function grab(api: string, video: unknown): HTMLCanvasElement | null {
  if (!isVideoElement(video)) {
    invalidStatic(api, 'videoElement must be a <video> element');
    return null;
  }
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!(w > 0 && h > 0)) {
    invalidStatic(api, 'the video shows no frame yet (videoWidth is 0)');
    return null;
  }
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d');
  if (g === null) {
    invalidStatic(api, 'no 2D canvas in this browser');
    return null;
  }
  try {
    g.drawImage(video, 0, 0, w, h);
  } catch (e) {
    invalidStatic(api, `cannot draw the frame: ${String(e)}`);
    return null;
  }
  return canvas;
}

/** Reference §3.6: the frame into `imgElement.src` (a JPEG data URL). */
export function takeSnapShot(videoElement: unknown, imgElement: unknown): boolean {
  const api = 'takeSnapShot';
  if (!isImgElement(imgElement)) return invalidStatic(api, 'imgElement must be an <img> element');
  const canvas = grab(api, videoElement);
  if (canvas === null) return false;
  try {
    imgElement.src = canvas.toDataURL(SNAPSHOT_TYPE, SNAPSHOT_QUALITY);
  } catch (e) {
    // A cross-origin video without CORS taints the canvas.
    return invalidStatic(api, `cannot read the frame: ${String(e)}`);
  }
  staticLog.info(`zc.takeSnapShot ${canvas.width}x${canvas.height}`);
  return true;
}

/** Reference §3.6: the frame downloaded as `<name>.jpg`. */
export function saveSnapShot(videoElement: unknown, name: unknown): boolean {
  const api = 'saveSnapShot';
  if (!isNonEmptyString(name)) return invalidStatic(api, 'name must be a non-empty string');
  const canvas = grab(api, videoElement);
  if (canvas === null) return false;
  let url: string;
  try {
    url = canvas.toDataURL(SNAPSHOT_TYPE, SNAPSHOT_QUALITY);
  } catch (e) {
    return invalidStatic(api, `cannot read the frame: ${String(e)}`);
  }
  downloadBlob(dataUrlToBlob(url), `${name}.jpg`);
  staticLog.info(`zc.saveSnapShot ${name}.jpg ${canvas.width}x${canvas.height}`);
  return true;
}

/** A base64 data URL as a Blob (synchronous, unlike canvas.toBlob, so the download starts within the call). */
export function dataUrlToBlob(url: string): Blob {
  const comma = url.indexOf(',');
  const type = /^data:([^;,]+)/.exec(url)?.[1] ?? 'application/octet-stream';
  const bin = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}
