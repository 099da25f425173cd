// Liveroom demo console: the whole product through the public ZegoClient Web SDK API alone.
// Loaded after /sdk/zego-client.js (global ZegoClient). No framework, no build step, no network resource
// other than this server. The client is exposed as window.zg for poking at it from the devtools console.
// This module starts the page; each section lives in its own module beside it (console-<section>.js, served as
// /console/console-<section>.js), type-checked by `npm --prefix web run typecheck` (tsc --checkJs --strict, JSDoc
// types, the SDK's declarations in sdk/dist/types; see tsconfig.json and types.d.ts).

import { wireCallbacks } from './console-callbacks.js';
import { sendChat } from './console-chat.js';
import { detectSupport, onCameraChange, onMicChange, onQualityChange, onSpeakerChange, refreshDevices } from './console-devices.js';
import { $, h, qAll } from './console-dom.js';
import { closeFlv, copyField } from './console-flv.js';
import { captureSdkConsole, log, sdk, toast } from './console-log.js';
import { join, leave } from './console-login.js';
import { renderMix, startMix, stopMix } from './console-mix.js';
import { renderSignalButtons } from './console-people.js';
import { goLive, renderLocal, restartPreview, startPreview, stopLive, stopPreview, toggleCamera, toggleMic, updateExtraInfo } from './console-publish.js';
import { startShare, stopShare } from './console-screen.js';
import { copyInviteLink, renderSession, setStatus } from './console-session.js';
import { askJoinLive, endJoinLive, sendCommand, sendRelay, sendReliable } from './console-signals.js';
import { S } from './console-state.js';
import { renderGrid } from './console-streams.js';
import { selectTab } from './console-tabs.js';

function defaults() {
  const q = new URLSearchParams(location.search);
  const rand = Math.random().toString(36).slice(2, 6);
  $('in-room').value = q.get('room') || 'lobby';
  $('in-user').value = q.get('user') || `user-${rand}`;
  $('in-nick').value = q.get('nick') || '';
  $('in-nick').placeholder = $('in-user').value;
  const role = q.get('role');
  if (role === '2' || role === 'audience') /** @type {HTMLInputElement} */ (document.querySelector('input[name="role"][value="2"]')).checked = true;
  $('in-appid').value = q.get('appid') || '1';
  $('in-appid').placeholder = '1';
  $('in-server').value = q.get('server') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return q;
}

function bind() {
  for (const t of qAll(document, '.tab')) t.addEventListener('click', () => selectTab(String(t.dataset.tab)));
  $('login-form').addEventListener('submit', join);
  $('btn-leave').addEventListener('click', leave);
  $('btn-leave2').addEventListener('click', leave);
  $('btn-copy-link').addEventListener('click', copyInviteLink);
  $('btn-invite-link').addEventListener('click', copyInviteLink);
  $('in-user').addEventListener('input', () => {
    $('in-nick').placeholder = $('in-user').value;
    renderLocal();
  });
  $('in-nick').addEventListener('input', renderLocal);
  $('chat-form').addEventListener('submit', sendChat);
  $('chat-kind').addEventListener('change', () => {
    $('chat-input').placeholder = $('chat-kind').value === 'big' ? 'Big-room message (batched, for large rooms)' : `Message “${S.room || 'the room'}”`;
  });
  $('cmd-form').addEventListener('submit', sendCommand);
  $('reliable-form').addEventListener('submit', sendReliable);
  $('relay-form').addEventListener('submit', sendRelay);
  $('sig-target').addEventListener('change', renderSignalButtons);
  $('btn-jl-request').addEventListener('click', () => askJoinLive('request'));
  $('btn-jl-invite').addEventListener('click', () => askJoinLive('invite'));
  $('btn-jl-end').addEventListener('click', endJoinLive);
  $('btn-sig-clear').addEventListener('click', () => {
    $('sig-feed').textContent = '';
    $('sig-empty').classList.remove('hidden');
  });
  $('btn-log-clear').addEventListener('click', () => ($('log-list').textContent = ''));
  $('btn-camera').addEventListener('click', toggleCamera);
  $('btn-mic').addEventListener('click', toggleMic);
  $('btn-preview').addEventListener('click', () => (S.preview ? stopPreview() : startPreview()));
  $('btn-preview-inline').addEventListener('click', () => startPreview());
  $('btn-publish').addEventListener('click', () => (S.publishing ? stopLive() : goLive()));
  $('btn-screen').addEventListener('click', () => (S.screen ? stopShare('stopped') : startShare()));
  $('btn-extra').addEventListener('click', updateExtraInfo);
  $('btn-dev-refresh').addEventListener('click', refreshDevices);
  $('flv-close').addEventListener('click', closeFlv);
  $('flv-dialog').addEventListener('close', closeFlv);
  $('flv-mute').addEventListener('click', () => {
    const v = $('flv-video');
    v.muted = !v.muted;
    if (!v.muted && v.paused) v.play().catch(() => undefined);
    $('flv-mute').textContent = v.muted ? 'Unmute' : 'Mute';
  });
  $('flv-copy').addEventListener('click', () => copyField('flv-url', 'flv-copy'));
  $('hls-copy').addEventListener('click', () => copyField('hls-url', 'hls-copy'));
  $('btn-mix').addEventListener('click', startMix);
  $('btn-mix-stop').addEventListener('click', stopMix);
  $('mix-size').addEventListener('change', renderMix);
  $('mix-flv-copy').addEventListener('click', () => copyField('mix-flv', 'mix-flv-copy'));
  $('mix-hls-copy').addEventListener('click', () => copyField('mix-hls', 'mix-hls-copy'));
  for (const id of /** @type {const} */ (['mix-flv', 'mix-hls'])) $(id).addEventListener('focus', () => $(id).select());
  for (const id of /** @type {const} */ (['flv-url', 'hls-url'])) $(id).addEventListener('focus', () => $(id).select());
  $('dev-camera').addEventListener('change', onCameraChange);
  $('dev-mic').addEventListener('change', onMicChange);
  $('dev-speaker').addEventListener('change', onSpeakerChange);
  $('pub-quality').addEventListener('change', onQualityChange);
  $('pub-horizontal').addEventListener('change', () => restartPreview());
  for (const id of ['pub-video', 'pub-audio']) $(id).addEventListener('change', () => restartPreview());
  $('play-cycle').addEventListener('change', () => sdk('setQualityMonitorCycle', Number($('play-cycle').value)));
  window.addEventListener('resize', renderGrid);
  if (navigator.mediaDevices && 'ondevicechange' in navigator.mediaDevices) navigator.mediaDevices.addEventListener('devicechange', refreshDevices);
}

/**
 * @param {string} title
 * @param {string} text
 */
function fatal(title, text) {
  setStatus('error', 'SDK missing');
  const card = h('div', { class: 'card', role: 'alert' }, h('h2', { text: title }), h('p', { class: 'muted', text }));
  $('grid').replaceWith(card);
  $('btn-join').disabled = true;
  toast('error', title, text, { ms: 60000 });
}

function main() {
  captureSdkConsole();
  const q = defaults();
  bind();
  if (typeof window.ZegoClient !== 'function') {
    fatal('The browser SDK did not load', 'GET /sdk/zego-client.js failed: this server was built without the SDK bundle. Run npm --prefix sdk ci && npm --prefix sdk run build, then rebuild the server (./scripts/dev.sh does both).');
    return;
  }
  const zg = new ZegoClient();
  S.zg = zg;
  window.zg = zg;
  wireCallbacks(zg);
  zg.setQualityMonitorCycle(Number($('play-cycle').value));
  $('sdk-version').textContent = ZegoClient.getCurrentVersion();
  detectSupport();
  refreshDevices();
  renderLocal();
  renderSession();
  log('info', `console ready · SDK ${ZegoClient.getCurrentVersion()} · server ${$('in-server').value}`);
  if (q.get('autojoin') === '1') $('login-form').requestSubmit();
}

main();
