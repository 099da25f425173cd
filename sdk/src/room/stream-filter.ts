/**
 * filterStreamList (reference §1.16, notes §8.3): picks the CDN URLs of a stream that the current page can play.
 * Safari (its UA says Safari and not Chrome) plays HLS: every HLS URL containing the page's protocol. Other
 * browsers play FLV: on an http: page any FLV URL, on https: only https FLV URLs; an rtmp: "page" gets the RTMP URLs.
 */
import type { StreamInfo } from './stream-list';

export function isSafari(userAgent: string): boolean {
  return /Safari/.test(userAgent) && !/Chrome|Chromium|CriOS|Edg/.test(userAgent);
}

export function playableUrls(stream: StreamInfo | undefined, userAgent: string, pageProtocol: string): string[] {
  if (stream === undefined) return [];
  let urls: string[];
  if (isSafari(userAgent)) {
    urls = [...stream.urls_hls, ...stream.urls_https_hls].filter((u) => u.indexOf(pageProtocol) >= 0);
  } else if (pageProtocol === 'http:') {
    urls = [...stream.urls_flv, ...stream.urls_https_flv];
  } else if (pageProtocol === 'https:') {
    urls = [...stream.urls_flv, ...stream.urls_https_flv].filter((u) => u.indexOf('https:') >= 0);
  } else if (pageProtocol === 'rtmp:') {
    urls = stream.urls_rtmp.slice();
  } else {
    urls = [];
  }
  return Array.from(new Set(urls));
}

/** The stream named `streamId`, or the first one when no id is given. */
export function pickStream(list: StreamInfo[], streamId?: string): StreamInfo | undefined {
  if (streamId === undefined) return list[0];
  return list.find((s) => s.stream_id === streamId);
}
