// Liveroom demo console: Streams grid.

import { $, h, icon, initial, q } from './console-dom.js';
import { FLV, liveUrls, openFlv, setFlvState, stopFlvPlayer } from './console-flv.js';
import { quietly, sdk } from './console-log.js';
import { renderMix } from './console-mix.js';
import { S } from './console-state.js';

/** @param {import('./types').StreamInfo} info */
export function tileFor(info) {
  const id = info.stream_id;
  const nick = info.anchor_nick_name || info.anchor_id_name || 'Someone';
  const video = h('video', { autoplay: true, playsinline: true });
  const tile = h('article', { class: 'tile tile-remote', dataset: { stream: id, user: info.anchor_id_name || '', state: 'idle' } },
    video,
    h('div', { class: 'tile-placeholder hidden' },
      h('div', { class: 'avatar avatar-lg', text: initial(nick) }),
      h('p', { class: 'ph-text', text: 'Camera is off' }),
      h('button', { class: 'btn btn-secondary btn-sm ph-play hidden', text: 'Play stream', onclick: () => play(id) }),
    ),
    h('div', { class: 'state' }),
    h('div', { class: 'tile-top' },
      h('span', { class: 'tile-name' }, nick, h('small', { text: id })),
      h('span', { class: 'tile-icons' }),
      h('span', { class: 'tile-actions' },
        h('button', { class: 'act-flv', text: 'FLV', title: 'Watch over HTTP-FLV, the live-CDN path (mpegts.js)', onclick: () => openFlv(id) }),
        h('button', { class: 'act-mute', text: 'Mute', title: 'Mute this stream here', onclick: () => toggleMute(id) }),
        h('button', { class: 'act-play', text: 'Stop', title: 'Stop / start playing', onclick: () => (S.streams.get(id)?.playing ? stopPlay(id) : play(id)) }),
      ),
    ),
    h('div', { class: 'tile-extra', text: info.extra_info || '' }),
    h('div', { class: 'tile-bottom' }, h('span', { class: 'stats' })),
  );
  return { tile, video };
}

/** @param {import('./types').StreamInfo} info */
export function addStream(info) {
  const id = info.stream_id;
  if (S.streams.has(id)) return;
  const { tile, video } = tileFor(info);
  const s = { info, tile, video, playing: false, camera: 0, mic: 0, muted: false };
  S.streams.set(id, s);
  $('grid').append(tile);
  renderTile(id);
  if ($('play-auto').checked) play(id);
}

/**
 * @param {string} id
 * @param {{ quiet?: boolean }} [options]
 */
export function removeStream(id, { quiet } = {}) {
  const s = S.streams.get(id);
  if (!s) return;
  if (s.playing && !quiet) quietly(() => S.zg.stopPlayingStream(id));
  s.tile.remove();
  S.streams.delete(id);
  if (FLV.id === id) {
    stopFlvPlayer();
    setFlvState('The stream ended');
  }
}

/** @param {string} id */
export function play(id) {
  const s = S.streams.get(id);
  if (!s || s.playing) return;
  const speaker = $('dev-speaker').value || undefined;
  const ok = sdk('startPlayingStream', id, s.video, speaker);
  if (ok) {
    s.playing = true;
    s.tile.dataset.state = 'connecting';
    s.stats = '';
  }
  renderTile(id);
}

/** @param {string} id */
export function stopPlay(id) {
  const s = S.streams.get(id);
  if (!s || !s.playing) return;
  sdk('stopPlayingStream', id);
  s.playing = false;
  s.tile.dataset.state = 'idle';
  s.stats = '';
  renderTile(id);
}

/** @param {string} id */
export function toggleMute(id) {
  const s = S.streams.get(id);
  if (!s) return;
  s.video.muted = !s.video.muted;
  if (!s.video.muted && s.video.paused) s.video.play().catch(() => undefined);
  renderTile(id);
}

/** @type {Record<string, string>} */
export const STATE_TEXT = { connecting: 'Connecting…', retry: 'Reconnecting…', error: 'Playback failed', idle: '' };

/** @param {string} id */
export function renderTile(id) {
  const s = S.streams.get(id);
  if (!s) return;
  const t = s.tile;
  const state = t.dataset.state;
  t.dataset.camera = s.camera === 0 ? 'on' : 'off';
  const ph = q(t, '.tile-placeholder');
  const notPlaying = !s.playing;
  ph.classList.toggle('hidden', !(notPlaying || s.camera !== 0));
  q(t, '.ph-text').textContent = notPlaying ? 'Not playing' : 'Camera is off';
  q(t, '.ph-play').classList.toggle('hidden', !notPlaying);
  q(t, '.state').textContent = s.playing ? STATE_TEXT[state || ''] || '' : '';
  q(t, '.stats').textContent = s.playing ? s.stats || '' : '';
  q(t, '.act-play').textContent = s.playing ? 'Stop' : 'Play';
  q(t, '.act-mute').textContent = s.video.muted ? 'Unmute' : 'Mute';
  q(t, '.act-mute').classList.toggle('hidden', !s.playing);
  q(t, '.act-flv').classList.toggle('hidden', !liveUrls(id).flv);
  const icons = q(t, '.tile-icons');
  icons.textContent = '';
  if (s.camera !== 0) icons.append(icon('camOff', 'Camera off'));
  if (s.mic !== 0) icons.append(icon('micOff', 'Microphone off'));
  q(t, '.tile-extra').textContent = s.info.extra_info || '';
}

export function renderGrid() {
  const n = [...$('grid').children].filter((c) => !c.classList.contains('hidden')).length;
  $('grid').dataset.count = String(n);
  const hint = $('hint-text');
  hint.textContent = '';
  const narrow = window.matchMedia('(max-width: 860px)').matches;
  if (S.phase !== 'in') {
    hint.append(h('strong', { text: 'Welcome! ' }), `Join a room ${narrow ? 'above' : 'on the right'}, then press Go live. To watch yourself, open this page in a second tab and join the same room.`);
  } else if (S.streams.size === 0) {
    hint.append(h('strong', { text: 'No one else is streaming yet. ' }), 'Share the invite link, or open it in another tab: streams in the room appear here.');
  }
  $('grid-empty').classList.toggle('hidden', hint.textContent === '');
  $('ri-streams').textContent = String(S.streams.size);
  renderMix();
}

/**
 * @param {Record<string, unknown>} q
 * @param {{ w: number, h: number }} [extra]
 */
export function fmtStats(q, extra) {
  const parts = [];
  const kbps = (Number(q.videoBitrate) || 0) + (Number(q.audioBitrate) || 0);
  parts.push(kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbps` : `${Math.round(kbps)} kbps`);
  parts.push(`${Math.round(Number(q.videoFPS) || 0)} fps`);
  if (q.frameWidth && q.frameHeight) parts.push(`${q.frameWidth}×${q.frameHeight}`);
  else if (extra && extra.w) parts.push(`${extra.w}×${extra.h}`);
  if (q.currentRoundTripTime !== undefined) parts.push(`RTT ${Math.round(Number(q.currentRoundTripTime) || 0)} ms`);
  return parts.join(' · ');
}
