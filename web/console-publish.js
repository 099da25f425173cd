// Liveroom demo console: Local preview and publishing.

import { refreshDevices } from './console-devices.js';
import { $, h, icon, initial } from './console-dom.js';
import { log, quietly, sdk, showError, toast } from './console-log.js';
import { defaultStreamId } from './console-login.js';
import { renderMix } from './console-mix.js';
import { renderPeople } from './console-people.js';
import { S } from './console-state.js';

export function previewOptions() {
  const q = Number($('pub-quality').value);
  /** @type {import('../sdk/dist/types/media/constraints').PreviewOptions} */
  const o = {
    audio: $('pub-audio').checked,
    video: $('pub-video').checked,
    videoQuality: q,
    horizontal: q !== 4 && !$('pub-horizontal').checked,
  };
  const cam = $('dev-camera').value;
  const mic = $('dev-mic').value;
  if (cam) o.videoInput = cam;
  if (mic) o.audioInput = mic;
  if (q === 4) {
    o.width = Number($('pub-w').value) || 640;
    o.height = Number($('pub-h').value) || 480;
    o.frameRate = Number($('pub-fps').value) || 15;
    o.bitrate = Number($('pub-kbps').value) || 800;
  }
  return o;
}

/** Starts the local preview; resolves true once it runs. */
export function startPreview() {
  if (S.preview) return Promise.resolve(true);
  if (S.previewStarting) return S.previewStarting;
  const opts = previewOptions();
  if (!opts.audio && !opts.video) {
    showError('Nothing to preview', 'Turn on video or audio in the Media tab.');
    return Promise.resolve(false);
  }
  S.previewStarting = new Promise((resolve) => {
    const ok = sdk(
      'startPreview',
      $('local-video'),
      opts,
      () => {
        S.preview = true;
        S.previewStarting = false;
        S.camera = true;
        S.mic = true;
        log('ok', `preview started (quality ${opts.videoQuality}${opts.videoQuality === 4 ? ` ${opts.width}×${opts.height}` : ''})`);
        renderLocal();
        refreshDevices();
        resolve(true);
      },
      (reason) => {
        S.previewStarting = false;
        renderLocal();
        showError('Camera preview failed', reason);
        resolve(false);
      },
    );
    if (!ok) {
      S.previewStarting = false;
      resolve(false);
    }
  });
  renderLocal();
  return S.previewStarting;
}

export function stopPreview() {
  if (!S.preview || S.publishing) return;
  sdk('stopPreview', $('local-video'));
  S.preview = false;
  log('info', 'preview stopped');
  renderLocal();
}

export async function restartPreview() {
  if (!S.preview || S.publishing) return;
  quietly(() => S.zg.stopPreview($('local-video')));
  S.preview = false;
  await startPreview();
}

export async function goLive() {
  if (S.publishing) return;
  if (S.phase !== 'in') return showError('Not in a room', 'Join a room first, then go live.');
  if (!(await startPreview())) return;
  const id = $('pub-stream').value.trim() || defaultStreamId();
  const codec = /** @type {HTMLInputElement} */ (document.querySelector('input[name="codec"]:checked')).value;
  const extra = $('pub-extra').value;
  const ok = sdk('startPublishingStream', id, $('local-video'), extra, { videoDecodeType: codec });
  if (!ok) return;
  S.publishing = id;
  S.codec = codec;
  S.publishState = 'connecting';
  S.localStats = '';
  log('info', `publishing ${id} (${codec})`);
  renderLocal();
  renderPeople();
}

export function stopLive() {
  if (!S.publishing) return;
  const id = S.publishing;
  sdk('stopPublishingStream', id);
  S.publishing = null;
  S.publishState = 'idle';
  S.preview = false; // stopPublishingStream also stops the preview (reference §1.14)
  S.localStats = '';
  log('info', `stopped publishing ${id}`);
  toast('info', 'You are no longer live');
  renderLocal();
  renderPeople();
}

export function toggleCamera() {
  if (!S.preview) return;
  if (sdk('enableCamera', $('local-video'), !S.camera)) S.camera = !S.camera;
  renderLocal();
}

export function toggleMic() {
  if (!S.preview) return;
  if (sdk('enableMicrophone', $('local-video'), !S.mic)) S.mic = !S.mic;
  renderLocal();
}

export function updateExtraInfo() {
  const extra = $('pub-extra').value;
  if (!S.publishing) {
    toast('info', 'Saved for your next stream', 'The extra info is sent when you go live.');
    return;
  }
  if (sdk('updateStreamExtraInfo', S.publishing, extra)) {
    toast('ok', 'Stream info updated', extra || '(empty)');
    log('info', `extra info of ${S.publishing}: ${extra}`);
  }
}

export function renderLocal() {
  const t = $('tile-local');
  const live = S.publishing !== null;
  t.dataset.state = live ? (S.publishState === 'live' ? 'live' : 'connecting') : S.preview ? 'preview' : 'idle';
  const showVideo = S.preview && S.camera && $('pub-video').checked;
  $('local-placeholder').classList.toggle('hidden', showVideo);
  $('local-avatar').textContent = initial(S.me.nickName || $('in-nick').value || $('in-user').value);
  $('local-hint').textContent = S.previewStarting ? 'Starting camera…' : S.preview ? 'Camera is off' : 'Your camera is off';
  $('btn-preview-inline').classList.toggle('hidden', S.preview || !!S.previewStarting);
  const name = S.me.nickName || $('in-nick').value.trim() || $('in-user').value.trim() || 'You';
  const nameEl = $('local-name');
  nameEl.textContent = `${name} (you)`;
  if (live) nameEl.append(h('small', { text: `${S.publishing} · ${S.codec === 'H264' ? 'H.264' : 'VP8'}` }));
  $('local-live').classList.toggle('hidden', !live);
  $('local-live').textContent = S.publishState === 'live' ? 'LIVE' : S.publishState === 'retry' ? 'RECONNECTING' : live ? 'CONNECTING' : 'LIVE';
  const icons = $('local-icons');
  icons.textContent = '';
  if (S.preview && !S.camera) icons.append(icon('camOff', 'Your camera is off'));
  if (S.preview && !S.mic) icons.append(icon('micOff', 'Your microphone is off'));
  $('local-stats').textContent = live ? S.localStats || '' : '';
  renderDock();
  renderMix();
}

export function renderDock() {
  const cam = $('btn-camera');
  const mic = $('btn-mic');
  cam.disabled = !S.preview;
  mic.disabled = !S.preview;
  cam.setAttribute('aria-pressed', String(!S.preview || S.camera));
  mic.setAttribute('aria-pressed', String(!S.preview || S.mic));
  const pv = $('btn-preview');
  pv.disabled = !!S.previewStarting;
  pv.classList.toggle('hidden', S.publishing !== null);
  pv.classList.toggle('active', S.preview);
  $('btn-preview-label').textContent = S.preview ? 'Stop preview' : 'Preview';
  $('btn-screen').disabled = S.phase !== 'in';
  const pub = $('btn-publish');
  pub.disabled = S.phase !== 'in';
  pub.classList.toggle('is-live', S.publishing !== null);
  $('btn-publish-label').textContent = S.publishing ? 'Stop live' : 'Go live';
  pub.title = S.phase !== 'in' ? 'Join a room to go live' : S.publishing ? 'Stop publishing (stopPublishingStream)' : 'Publish your camera to the room (startPublishingStream)';
}
