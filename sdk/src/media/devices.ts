/**
 * Devices (reference §1.6, §1.11, §1.19, notes §7.9) and capability checks (reference §3.1, §3.3).
 */

export interface DeviceItem {
  label: string;
  deviceId: string;
}

export interface DeviceInfo {
  microphones: DeviceItem[];
  speakers: DeviceItem[];
  cameras: DeviceItem[];
}

interface Nav {
  mediaDevices?: {
    enumerateDevices?: () => Promise<MediaDeviceInfo[]>;
    getUserMedia?: (c: MediaStreamConstraints) => Promise<MediaStream>;
    getDisplayMedia?: unknown;
  };
}

function nav(): Nav | null {
  return typeof navigator === 'undefined' ? null : (navigator as unknown as Nav);
}

export function hasGetUserMedia(): boolean {
  const n = nav();
  return !!n && !!n.mediaDevices && typeof n.mediaDevices.getUserMedia === 'function';
}

export function getUserMedia(c: MediaStreamConstraints): Promise<MediaStream> {
  const n = nav();
  if (!n || !n.mediaDevices || typeof n.mediaDevices.getUserMedia !== 'function') {
    return Promise.reject(new Error("browser don't support"));
  }
  return n.mediaDevices.getUserMedia(c);
}

/** The device lists of enumDevices; labels may be empty before a permission was granted. */
export function enumerateDevices(): Promise<DeviceInfo> {
  const n = nav();
  if (!n || !n.mediaDevices || typeof n.mediaDevices.enumerateDevices !== 'function') {
    return Promise.reject(new Error("browser don't support"));
  }
  return n.mediaDevices.enumerateDevices().then((list) => {
    const info: DeviceInfo = { microphones: [], speakers: [], cameras: [] };
    for (const d of list) {
      const item = { label: d.label, deviceId: d.deviceId };
      if (d.kind === 'audioinput') info.microphones.push(item);
      else if (d.kind === 'audiooutput') info.speakers.push(item);
      else if (d.kind === 'videoinput') info.cameras.push(item);
    }
    return info;
  });
}

/** `element.setSinkId(id)` where the browser has it; false when it has not. */
export function setSinkId(el: HTMLMediaElement, id: string, onError: (e: unknown) => void): boolean {
  const f = (el as unknown as { setSinkId?: (id: string) => Promise<void> }).setSinkId;
  if (typeof f !== 'function') return false;
  f.call(el, id).catch(onError);
  return true;
}

/** A DOMException's name (what startPreview's error callback gets), or the message of anything else. */
export function errorName(e: unknown): string {
  if (e && typeof e === 'object') {
    const x = e as { name?: unknown; message?: unknown };
    if (typeof x.name === 'string' && x.name !== 'Error' && x.name !== '') return x.name;
    if (typeof x.message === 'string') return x.message;
  }
  return String(e);
}

/** Video codecs the browser can send, from the sender capabilities (or an offer's rtpmaps). */
export function videoCodecSupport(): Promise<{ H264: boolean; VP8: boolean }> {
  const g = globalThis as unknown as {
    RTCRtpSender?: { getCapabilities?: (k: string) => { codecs: { mimeType: string }[] } | null };
    RTCPeerConnection?: new () => RTCPeerConnection;
  };
  try {
    const caps = g.RTCRtpSender && typeof g.RTCRtpSender.getCapabilities === 'function' ? g.RTCRtpSender.getCapabilities('video') : null;
    if (caps && Array.isArray(caps.codecs)) {
      const has = (c: string) => caps.codecs.some((x) => x.mimeType.toUpperCase() === `VIDEO/${c}`);
      return Promise.resolve({ H264: has('H264'), VP8: has('VP8') });
    }
  } catch {
    /* fall back to an offer */
  }
  if (typeof g.RTCPeerConnection !== 'function') return Promise.resolve({ H264: false, VP8: false });
  const pc = new g.RTCPeerConnection();
  const done = (r: { H264: boolean; VP8: boolean }) => {
    pc.close();
    return r;
  };
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
  } catch {
    return Promise.resolve(done({ H264: false, VP8: false }));
  }
  return pc.createOffer().then(
    (o) => done({ H264: /^a=rtpmap:\d+ H264\//im.test(o.sdp ?? ''), VP8: /^a=rtpmap:\d+ VP8\//im.test(o.sdp ?? '') }),
    () => done({ H264: false, VP8: false }),
  );
}
