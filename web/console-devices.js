// Liveroom demo console: Devices and browser support.

import { $, h } from './console-dom.js';
import { log, sdk, showError, toast } from './console-log.js';
import { restartPreview } from './console-publish.js';
import { S } from './console-state.js';

import { describe } from './console-log.js';

/**
 * @param {HTMLSelectElement} sel
 * @param {{ deviceId: string, label: string }[]} devices
 * @param {string} defaultLabel
 */
export function fillSelect(sel, devices, defaultLabel) {
  const keep = sel.value;
  sel.textContent = '';
  sel.append(h('option', { value: '', text: defaultLabel }));
  devices.forEach((d, i) => sel.append(h('option', { value: d.deviceId, text: d.label || `Device ${i + 1}` })));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

export function refreshDevices() {
  S.zg.enumDevices(
    (info) => {
      fillSelect($('dev-camera'), info.cameras || [], 'Default camera');
      fillSelect($('dev-mic'), info.microphones || [], 'Default microphone');
      fillSelect($('dev-speaker'), info.speakers || [], 'Default speaker');
    },
    (err) => log('warn', `enumDevices: ${describe(err)}`),
  );
}

export function onCameraChange() {
  if (!S.preview || !$('dev-camera').value) return;
  sdk('switchDevice', 'video', $('local-video'), $('dev-camera').value, () => toast('ok', 'Camera switched'), (err) => showError('Could not switch the camera', err));
}

export function onMicChange() {
  if (!S.preview || !$('dev-mic').value) return;
  sdk('switchDevice', 'audio', $('local-video'), $('dev-mic').value, () => toast('ok', 'Microphone switched'), (err) => showError('Could not switch the microphone', err));
}

export function onSpeakerChange() {
  const out = $('dev-speaker').value;
  for (const [id, s] of S.streams) if (s.playing && out) sdk('setPlayAudioOutput', id, out);
}

export function onQualityChange() {
  $('pub-custom').classList.toggle('hidden', $('pub-quality').value !== '4');
  if (S.publishing) toast('info', 'Applies next time you go live', 'The quality of a running stream does not change.');
  else restartPreview();
}

export function detectSupport() {
  const list = $('support-list');
  const render = (/** @type {Partial<import('../sdk/dist/types/zego-client').SupportResult>} */ r) => {
    list.textContent = '';
    const items = [
      ['WebRTC', r.webRtc],
      ['Camera/mic', r.capture],
      ['VP8', r.videoDecodeType && r.videoDecodeType.VP8],
      ['H.264', r.videoDecodeType && r.videoDecodeType.H264],
      ['Screen sharing', r.screenSharing],
    ];
    for (const [name, yes] of items) list.append(h('li', { class: yes ? 'yes' : 'no', text: name }));
    const h264 = /** @type {HTMLInputElement} */ (document.querySelector('input[name="codec"][value="H264"]'));
    if (r.videoDecodeType && r.videoDecodeType.H264 === false) {
      h264.disabled = true;
      /** @type {HTMLElement} */ (h264.parentElement).title = 'This browser cannot encode H.264';
    }
    if (!r.webRtc) toast('warn', 'This browser has no WebRTC', 'You can chat and signal, but not publish or play streams.');
  };
  try {
    ZegoClient.supportDetection(render, () => render({ webRtc: ZegoClient.isSupportWebrtc() }));
  } catch {
    render({ webRtc: ZegoClient.isSupportWebrtc() });
  }
}
