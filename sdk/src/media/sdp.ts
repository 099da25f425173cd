/**
 * Offer munging (notes §7.3). The publisher's offer: `b=AS:<kbps>` on video (`b=TIAS:<bps>` for Firefox),
 * sendrecv → sendonly, Opus `maxaveragebitrate=<audioBitRate>`, and only the requested video codec (VP8 or H.264,
 * default H.264; H.264 only in packetization mode 1) with its RTX. The player's: sendrecv → recvonly, and the codec
 * filter only when a videoDecodeType is given. The munged SDP goes to the server; the browser keeps its own offer
 * as the local description (the answer is a subset of both).
 */

export type VideoCodec = 'H264' | 'VP8';

/** 'VP8' / 'H264' (case-insensitive, 'H.264' too) or null for anything else. */
export function parseVideoCodec(v: unknown): VideoCodec | null {
  if (typeof v !== 'string') return null;
  const s = v.toUpperCase().replace('.', '');
  if (s === 'VP8') return 'VP8';
  if (s === 'H264') return 'H264';
  return null;
}

interface Section {
  lines: string[];
}

function split(sdp: string): { session: string[]; media: Section[] } {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const session: string[] = [];
  const media: Section[] = [];
  for (const l of lines) {
    if (l.startsWith('m=')) media.push({ lines: [l] });
    else if (media.length === 0) session.push(l);
    else media[media.length - 1].lines.push(l);
  }
  return { session, media };
}

function join(session: string[], media: Section[]): string {
  const all = session.concat(...media.map((m) => m.lines));
  return all.join('\r\n') + '\r\n';
}

function kindOf(s: Section): string {
  return s.lines[0].slice(2).split(' ')[0];
}

/** Payload types of an m-section with their rtpmap codec name and fmtp. */
function payloads(s: Section): Map<string, { codec: string; fmtp: string }> {
  const m = new Map<string, { codec: string; fmtp: string }>();
  const fields = s.lines[0].split(' ');
  for (const pt of fields.slice(3)) m.set(pt, { codec: '', fmtp: '' });
  for (const l of s.lines) {
    let r = /^a=rtpmap:(\d+) ([^/]+)/.exec(l);
    if (r && m.has(r[1])) m.get(r[1])!.codec = r[2].toUpperCase();
    r = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (r && m.has(r[1])) m.get(r[1])!.fmtp = r[2];
  }
  return m;
}

/** Keeps only `codec` (and the RTX of kept payloads) in every video section. */
export function filterVideoCodec(sdp: string, codec: VideoCodec): string {
  const { session, media } = split(sdp);
  for (const s of media) {
    if (kindOf(s) !== 'video') continue;
    const pts = payloads(s);
    const keep = new Set<string>();
    for (const [pt, p] of pts) {
      if (p.codec !== codec) continue;
      if (codec === 'H264' && !/packetization-mode=1/.test(p.fmtp)) continue;
      keep.add(pt);
    }
    if (keep.size === 0) continue; // the browser cannot do it: leave the section as it is (the server decides)
    for (const [pt, p] of pts) {
      const apt = /apt=(\d+)/.exec(p.fmtp);
      if (p.codec === 'RTX' && apt && keep.has(apt[1])) keep.add(pt);
    }
    const fields = s.lines[0].split(' ');
    const head = fields.slice(0, 3);
    const kept = fields.slice(3).filter((pt) => keep.has(pt));
    s.lines[0] = head.concat(kept).join(' ');
    s.lines = s.lines.filter((l) => {
      const r = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.exec(l);
      return !r || keep.has(r[1]);
    });
  }
  return join(session, media);
}

/** Replaces the direction attribute of every media section that has `from` with `to`. */
export function setDirection(sdp: string, from: string, to: string): string {
  const { session, media } = split(sdp);
  for (const s of media) s.lines = s.lines.map((l) => (l === `a=${from}` ? `a=${to}` : l));
  return join(session, media);
}

/** Adds `b=AS:<kbps>` (or `b=TIAS:<bps>`) to the video sections, after their `c=` line. */
export function setVideoBitrate(sdp: string, kbps: number, tias = false): string {
  const { session, media } = split(sdp);
  for (const s of media) {
    if (kindOf(s) !== 'video') continue;
    s.lines = s.lines.filter((l) => !l.startsWith('b=AS:') && !l.startsWith('b=TIAS:'));
    const b = tias ? `b=TIAS:${Math.round(kbps * 1000)}` : `b=AS:${Math.round(kbps)}`;
    const c = s.lines.findIndex((l) => l.startsWith('c='));
    s.lines.splice(c >= 0 ? c + 1 : 1, 0, b);
  }
  return join(session, media);
}

/** Sets Opus `maxaveragebitrate` (bps) in the audio sections' fmtp. */
export function setOpusBitrate(sdp: string, bps: number): string {
  const { session, media } = split(sdp);
  for (const s of media) {
    if (kindOf(s) !== 'audio') continue;
    const pts = payloads(s);
    for (const [pt, p] of pts) {
      if (p.codec !== 'OPUS') continue;
      const i = s.lines.findIndex((l) => l.startsWith(`a=fmtp:${pt} `));
      if (i < 0) s.lines.push(`a=fmtp:${pt} maxaveragebitrate=${Math.round(bps)}`);
      else {
        const params = s.lines[i]
          .slice(`a=fmtp:${pt} `.length)
          .split(';')
          .filter((x) => x !== '' && !x.startsWith('maxaveragebitrate='));
        params.push(`maxaveragebitrate=${Math.round(bps)}`);
        s.lines[i] = `a=fmtp:${pt} ${params.join(';')}`;
      }
    }
  }
  return join(session, media);
}

export interface PublishMunge {
  codec: VideoCodec;
  videoKbps: number;
  audioBps: number;
  firefox: boolean;
}

export function mungePublishOffer(sdp: string, o: PublishMunge): string {
  let s = setDirection(sdp, 'sendrecv', 'sendonly');
  s = filterVideoCodec(s, o.codec);
  s = setVideoBitrate(s, o.videoKbps, o.firefox);
  s = setOpusBitrate(s, o.audioBps);
  return s;
}

export function mungePlayOffer(sdp: string, codec: VideoCodec | null): string {
  let s = setDirection(sdp, 'sendrecv', 'recvonly');
  if (codec !== null) s = filterVideoCodec(s, codec);
  return s;
}

/** Whether an SDP offers `codec` for video (rtpmap). */
export function hasVideoCodec(sdp: string, codec: string): boolean {
  return new RegExp(`^a=rtpmap:\\d+ ${codec}/`, 'mi').test(sdp);
}
