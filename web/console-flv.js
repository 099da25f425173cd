// Liveroom demo console: HTTP-FLV view (the live-CDN path).

import { $, h } from './console-dom.js';
import { log, toast } from './console-log.js';
import { S } from './console-state.js';

// The server gives every stream HTTP-FLV and HLS URLs (the stream list's urls_flv / urls_hls). The FLV view plays one
// with mpegts.js (embedded from the SDK's npm devDependency, see web/vendor/README.md), loaded the first time it is needed.
/**
 * The FLV view: the stream it shows, a counter of openings (to drop stale awaits), the player and its stats.
 * @type {{ id: string | null, open: number, player: import('./types').MpegtsPlayer | null, timer: ReturnType<typeof setInterval> | undefined, last: { at: number, frames: number } | null, media: { videoCodec?: string, audioCodec?: string } | null, loading: Promise<import('./types').Mpegts> | null }}
 */
export const FLV = { id: null, open: 0, player: null, timer: undefined, last: null, media: null, loading: null };

/** The stream's URLs for this page: FLV as filterStreamList picks it (FLV outside Safari), and HLS. */
/** @param {string} id */
export function liveUrls(id) {
  const s = S.streams.get(id);
  /** @type {Partial<import('./types').StreamInfo>} */
  const info = (s && s.info) || {};
  const pick = (/** @type {string[]} */ list) => list.find((u) => u.startsWith(`${location.protocol}//`)) || list[0] || '';
  const playable = S.zg ? S.zg.filterStreamList(id) : [];
  const flv = (Array.isArray(playable) && playable.find((u) => /\.flv(\?|$)/.test(u))) || pick([...(info.urls_flv || []), ...(info.urls_https_flv || [])]);
  const hls = pick([...(info.urls_hls || []), ...(info.urls_https_hls || [])]);
  return { flv, hls };
}

export function loadMpegts() {
  if (window.mpegts) return Promise.resolve(window.mpegts);
  if (!FLV.loading) {
    FLV.loading = new Promise((resolve, reject) => {
      const fail = () => {
        FLV.loading = null;
        reject(new Error('GET /console/mpegts.min.js failed'));
      };
      const ok = () => (window.mpegts ? resolve(window.mpegts) : fail());
      document.head.append(h('script', { src: '/console/mpegts.min.js', onload: ok, onerror: fail }));
    });
  }
  return FLV.loading;
}

/** @param {string} text */
export function setFlvState(text) {
  $('flv-state').textContent = text;
}

/**
 * @param {string} type
 * @param {string} detail
 * @param {{ code?: number, msg?: string } | undefined} info
 */
export function flvError(type, detail, info) {
  const code = info && info.code;
  if (type === 'NetworkError' && code === 404) return 'The server answered 404: the stream is not being published';
  if (type === 'NetworkError' && code === 503) return 'The server answered 503: too many live outputs';
  return `${type}: ${detail}${info && info.msg ? ` (${info.msg})` : ''}`;
}

/** @param {string} id */
export async function openFlv(id) {
  const s = S.streams.get(id);
  if (!s) return;
  closeFlv();
  const { flv, hls } = liveUrls(id);
  if (!flv) return toast('warn', 'No HTTP-FLV URL for this stream', 'The server has its live outputs off.');
  FLV.id = id;
  const mine = ++FLV.open;
  const nick = s.info.anchor_nick_name || s.info.anchor_id_name || 'Someone';
  $('flv-title').replaceChildren(nick, h('small', { class: 'muted', text: ` · ${id}` }));
  $('flv-kind').textContent = 'HTTP-FLV';
  $('flv-url').value = flv;
  $('hls-url').value = hls;
  $('hls-row').classList.toggle('hidden', !hls);
  $('flv-stats').textContent = '';
  for (const b of ['flv-copy', 'hls-copy']) $(b).textContent = 'Copy';
  const video = $('flv-video');
  video.muted = true;
  $('flv-mute').textContent = 'Unmute';
  setFlvState('Connecting…');
  $('flv-dialog').showModal();
  log('info', `HTTP-FLV view of ${id}: ${flv}`);
  /** @type {import('./types').Mpegts} */
  let mpegts;
  try {
    mpegts = await loadMpegts();
  } catch (e) {
    if (FLV.open === mine && FLV.id === id) setFlvState(`Could not load the player: ${/** @type {Error} */ (e).message}`);
    log('error', `HTTP-FLV: ${/** @type {Error} */ (e).message}`);
    return;
  }
  if (FLV.open !== mine || FLV.id !== id) return; // closed, or another view opened meanwhile
  if (!mpegts.isSupported()) {
    // No Media Source Extensions (iPhone Safari): HLS plays natively there.
    if (hls && video.canPlayType('application/vnd.apple.mpegurl')) {
      $('flv-kind').textContent = 'HLS';
      video.src = hls;
      video.play().catch(() => undefined);
      FLV.timer = setInterval(renderFlvStats, 1000);
    } else {
      setFlvState('This browser cannot play FLV (no Media Source Extensions): copy a URL into a player');
    }
    return;
  }
  const player = mpegts.createPlayer(
    { type: 'flv', isLive: true, url: flv },
    { enableWorker: false, lazyLoad: false, liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: 3, liveBufferLatencyMinRemain: 0.5 },
  );
  player.on(mpegts.Events.ERROR, (type, detail, info) => {
    const text = flvError(type, detail, info);
    setFlvState(text);
    log('error', `HTTP-FLV ${id}: ${text}`);
    stopFlvPlayer();
  });
  player.on(mpegts.Events.LOADING_COMPLETE, () => {
    setFlvState('The stream ended');
    log('info', `HTTP-FLV ${id}: the stream ended`);
  });
  player.on(mpegts.Events.MEDIA_INFO, (mi) => (FLV.media = mi));
  player.attachMediaElement(video);
  player.load();
  const started = player.play();
  if (started && started.catch) started.catch(() => undefined);
  FLV.player = player;
  FLV.last = null;
  FLV.timer = setInterval(renderFlvStats, 1000);
}

/** @param {string | undefined} c */
export const codecName = (c) => (!c ? '' : /^avc1/.test(c) ? 'H.264' : /^mp4a/.test(c) ? 'AAC' : c);

export function renderFlvStats() {
  const v = $('flv-video');
  if (v.videoWidth > 0 && $('flv-state').textContent === 'Connecting…') setFlvState('');
  const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: 0 };
  const now = { at: performance.now(), frames: q.totalVideoFrames };
  const parts = [];
  if (v.videoWidth) parts.push(`${v.videoWidth}×${v.videoHeight}`);
  if (FLV.last) parts.push(`${Math.round(((now.frames - FLV.last.frames) * 1000) / (now.at - FLV.last.at))} fps`);
  if (v.buffered.length) parts.push(`${Math.max(0, v.buffered.end(v.buffered.length - 1) - v.currentTime).toFixed(1)} s buffered`);
  const mi = FLV.media;
  if (mi) parts.push([codecName(mi.videoCodec), codecName(mi.audioCodec)].filter(Boolean).join(' + '));
  FLV.last = now;
  $('flv-stats').textContent = v.videoWidth ? parts.join(' · ') : '';
}

export function stopFlvPlayer() {
  clearInterval(FLV.timer);
  FLV.timer = undefined;
  const p = FLV.player;
  FLV.player = null;
  FLV.media = null;
  if (p) {
    try {
      p.pause();
      p.unload();
      p.detachMediaElement();
      p.destroy();
    } catch (e) {
      log('warn', `HTTP-FLV: stopping the player: ${/** @type {Error} */ (e).message}`);
    }
  }
  const v = $('flv-video');
  if (v.getAttribute('src') !== null) {
    v.removeAttribute('src');
    v.load();
  }
}

export function closeFlv() {
  if (FLV.id === null) return;
  FLV.id = null;
  stopFlvPlayer();
  if ($('flv-dialog').open) $('flv-dialog').close();
}

/**
 * @param {'flv-url' | 'hls-url' | 'mix-flv' | 'mix-hls'} inputId
 * @param {string} buttonId
 */
export async function copyField(inputId, buttonId) {
  const text = $(inputId).value;
  let ok = true;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    $(inputId).select();
    ok = document.execCommand('copy');
  }
  $(buttonId).textContent = ok ? 'Copied' : 'Select and copy';
  setTimeout(() => ($(buttonId).textContent = 'Copy'), 2000);
}
