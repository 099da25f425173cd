// Liveroom demo console: Stream mixing (reference §1.31, §1.32).

import { $, h } from './console-dom.js';
import { log, sdk, showError, toast } from './console-log.js';
import { S } from './console-state.js';

// The server composes streams of the room into one output stream, `mix-<room>`, published in the room as this user's
// stream: other pages get it in onStreamUpdated and play it like any stream (this page's SDK filters its own streams
// out). Calling updateMixStream again changes the inputs and layout of the running mix.
/** @type {Record<string, [number, number, number, number]>} width, height, fps, bitrate */
export const MIX_SIZES = { '640x360': [640, 360, 15, 800000], '1280x720': [1280, 720, 20, 1500000] };
export const mixOutputId = () => `mix-${S.room}`;

/** What can be mixed: this user's live streams (camera, screen), then the other streams of the room. */
export function mixCandidates() {
  const out = [];
  const me = S.me.nickName || S.me.idName;
  if (S.publishing && S.publishState === 'live') out.push({ id: S.publishing, who: `${me} (you)` });
  if (S.screen && S.screen.state === 'live') out.push({ id: S.screen.id, who: `${me}'s screen (you)` });
  for (const [id, s] of S.streams) {
    if (id !== mixOutputId()) out.push({ id, who: s.info.anchor_nick_name || s.info.anchor_id_name || 'Someone' });
  }
  return out;
}

/** A grid of n cells over w×h, row by row: as many columns as rows, or one more. */
/**
 * A grid of n cells over w×h, row by row: as many columns as rows, or one more.
 * @param {number} n
 * @param {number} w
 * @param {number} hgt
 */
export function gridRects(n, w, hgt) {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cw = Math.floor(w / cols);
  const ch = Math.floor(hgt / rows);
  return Array.from({ length: n }, (_, i) => {
    const left = (i % cols) * cw;
    const top = Math.floor(i / cols) * ch;
    return { left, top, right: left + cw, bottom: top + ch };
  });
}

export function startMix() {
  if (S.phase !== 'in' || (S.mix && S.mix.busy)) return;
  const inputs = mixCandidates().filter((c) => !S.mixOff.has(c.id));
  if (inputs.length === 0) return showError('Nothing to mix', 'Check at least one stream: go live, or wait for others to.');
  const running = !!(S.mix && S.mix.running);
  // Size, rate and codecs are fixed when a mix starts.
  const size = running && S.mix ? S.mix.size : $('mix-size').value;
  const [w, hgt, fps, bitrate] = MIX_SIZES[size];
  const rects = gridRects(inputs.length, w, hgt);
  const id = mixOutputId();
  const config = {
    outputStreamId: id,
    outputWidth: w,
    outputHeight: hgt,
    outputFps: fps,
    outputBitrate: bitrate,
    streamList: inputs.map((c, i) => ({ streamId: c.id, ...rects[i] })),
  };
  const room = S.room;
  S.mix = { ...(S.mix || {}), id, size, running, busy: true };
  const ok = sdk(
    'updateMixStream',
    config,
    (outId, info) => {
      if (S.room !== room || S.phase !== 'in') return;
      const urls = info[0] || {};
      S.mix = { id: outId || id, size, running: true, busy: false, inputs: inputs.map((c) => c.id), flv: (urls.flvUrls || [])[0] || '', hls: (urls.hlsUrls || [])[0] || '' };
      log('ok', `${running ? 'updated' : 'started'} mix ${outId}: ${inputs.map((c) => c.id).join(', ')} (${w}×${hgt})`);
      toast('ok', running ? 'Mix updated' : 'Mixing', `${inputs.length} stream(s) in “${outId}”.${running ? '' : ' Others in the room see it as a stream.'}`);
      renderMix();
    },
    (err, missing) => {
      if (S.mix) S.mix.busy = false;
      if (S.mix && !S.mix.running) S.mix = null;
      showError(running ? 'Updating the mix failed' : 'Mixing failed', err);
      if (missing && missing.length) log('error', `mix inputs not in the room: ${missing.join(', ')}`);
      renderMix();
    },
  );
  if (!ok) S.mix = running ? { ...S.mix, busy: false } : null;
  renderMix();
}

export function stopMix() {
  if (!S.mix || !S.mix.running || S.mix.busy) return;
  const id = S.mix.id;
  S.mix.busy = true;
  const done = () => {
    S.mix = null;
    renderMix();
  };
  const ok = sdk(
    'stopMixStream',
    // Only the output stream id matters to stop a mix (reference §1.32); the SDK's declared type asks for the whole config.
    /** @type {import('../sdk/dist/types/room/mix-stream').MixStreamConfig} */ (/** @type {unknown} */ ({ outputStreamId: id })),
    () => {
      log('info', `stopped mix ${id}`);
      toast('info', 'Mix stopped', `“${id}” left the room.`);
      done();
    },
    (err) => {
      // 10000 + 1000000152: someone else in the room stopped it already.
      if (/result=1000010152/.test(String(err && err.msg))) return done();
      if (S.mix) S.mix.busy = false;
      showError('Stopping the mix failed', err);
      renderMix();
    },
  );
  if (!ok) S.mix.busy = false;
  renderMix();
}

export function renderMix() {
  const m = S.mix;
  const running = !!(m && m.running);
  const busy = !!(m && m.busy);
  const list = $('mix-inputs');
  const candidates = S.phase === 'in' ? mixCandidates() : [];
  const checked = candidates.filter((c) => !S.mixOff.has(c.id));
  const [w, hgt] = MIX_SIZES[running ? m.size : $('mix-size').value];
  const rects = gridRects(Math.max(checked.length, 1), w, hgt);
  list.textContent = '';
  for (const c of candidates) {
    const on = !S.mixOff.has(c.id);
    const k = checked.indexOf(c);
    const box = h('input', { type: 'checkbox', value: c.id });
    box.checked = on;
    box.addEventListener('change', () => {
      if (box.checked) S.mixOff.delete(c.id);
      else S.mixOff.add(c.id);
      renderMix();
    });
    const r = on ? rects[k] : null;
    const live = running && m.inputs && m.inputs.includes(c.id);
    list.append(
      h('li', { dataset: { stream: c.id } },
        h('label', {},
          box,
          h('span', { text: c.who }),
          h('small', { class: 'mono', text: c.id }),
          h('span', { class: 'mix-cell', text: r ? `${live ? '● ' : ''}${r.right - r.left}×${r.bottom - r.top} at ${r.left},${r.top}` : 'not mixed' }),
        ),
      ),
    );
  }
  $('mix-empty').classList.toggle('hidden', candidates.length > 0);
  $('mix-id').textContent = S.phase === 'in' ? mixOutputId() : 'mix-<room>';
  $('mix-size').disabled = running;
  const btn = $('btn-mix');
  btn.disabled = S.phase !== 'in' || busy || checked.length === 0;
  btn.textContent = busy ? 'Working…' : running ? 'Update mix' : 'Mix streams';
  $('btn-mix-stop').classList.toggle('hidden', !running);
  $('btn-mix-stop').disabled = busy;
  $('mix-live').classList.toggle('hidden', !running);
  $('mix-urls').classList.toggle('hidden', !running);
  $('mix-flv').value = running ? m.flv || '' : '';
  $('mix-hls').value = running ? m.hls || '' : '';
}
