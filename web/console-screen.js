// Liveroom demo console: Screen sharing (reference §4.3.3, §4.4).

import { $, h } from './console-dom.js';
import { log, quietly, sdk, showError } from './console-log.js';
import { defaultStreamId } from './console-login.js';
import { S } from './console-state.js';
import { renderGrid } from './console-streams.js';

/** Shares the screen as a second stream `<stream id>-screen`: capture, preview, publish. */
export function startShare() {
  if (S.screen) return;
  if (S.phase !== 'in') return showError('Not in a room', 'Join a room first, then share your screen.');
  const codec = /** @type {HTMLInputElement} */ (document.querySelector('input[name="codec"]:checked')).value;
  const id = `${$('pub-stream').value.trim() || defaultStreamId()}-screen`;
  sdk('startScreenSharing', { frameRate: 15 }, false, (ok, streamOrReason) => {
    if (!ok) return showError('Screen sharing failed', streamOrReason);
    const stream = /** @type {MediaStream} */ (streamOrReason);
    const v = $('screen-video');
    const st = stream.getVideoTracks()[0]?.getSettings() || {};
    const opts = { externalMediaStream: stream, audio: false, video: true, videoQuality: 4, width: st.width || 1280, height: st.height || 720, frameRate: 15, bitrate: 1500 };
    const started = sdk('startPreview', v, opts, () => {
      if (!sdk('startPublishingStream', id, v, '', { videoDecodeType: codec })) {
        quietly(() => S.zg.stopPreview(v));
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      S.screen = { id, stream, state: 'connecting', stats: '' };
      log('info', `sharing the screen as ${id} (${st.width || '?'}×${st.height || '?'})`);
      renderScreen();
    }, (reason) => {
      stream.getTracks().forEach((t) => t.stop());
      showError('Screen sharing failed', reason);
    });
    if (!started) stream.getTracks().forEach((t) => t.stop());
  });
}

/** @param {string} why */
export function stopShare(why) {
  if (!S.screen) return;
  const { id, stream } = S.screen;
  S.screen = null;
  quietly(() => S.zg.stopPublishingStream(id));
  quietly(() => S.zg.stopPreview($('screen-video')));
  stream.getTracks().forEach((t) => t.stop());
  $('screen-video').srcObject = null;
  log('info', `stopped sharing the screen (${why})`);
  renderScreen();
}

export function renderScreen() {
  const sc = S.screen;
  $('tile-screen').classList.toggle('hidden', !sc);
  if (sc) {
    $('tile-screen').dataset.state = sc.state === 'live' ? 'live' : 'connecting';
    $('screen-live').textContent = sc.state === 'live' ? 'LIVE' : sc.state === 'retry' ? 'RECONNECTING' : 'CONNECTING';
    const name = $('screen-name');
    name.textContent = 'Your screen';
    name.append(h('small', { text: sc.id }));
    $('screen-stats').textContent = sc.stats;
  }
  const b = $('btn-screen');
  b.disabled = S.phase !== 'in';
  b.classList.toggle('active', !!sc);
  $('btn-screen-label').textContent = sc ? 'Stop sharing' : 'Share screen';
  renderGrid();
}
