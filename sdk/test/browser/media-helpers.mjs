// Helpers for media browser tests: in-page functions (preview, publish, play, stats) installed on a client's page,
// and Node-side waits built on them.
import assert from 'node:assert/strict';
import { sleep } from './harness.mjs';

/** Installs `window.__m` on the client's page. */
export async function installMedia(client) {
  await client.page.evaluate(() => {
    window.__m = {
      el(id, muted = true) {
        let v = document.getElementById(id);
        if (!v) {
          v = document.createElement('video');
          v.id = id;
          v.muted = muted;
          v.autoplay = true;
          v.playsInline = true;
          document.body.appendChild(v);
        }
        return v;
      },
      preview(id, opts) {
        return new Promise((resolve) => {
          const ok = window.zg.startPreview(window.__m.el(id), opts, () => resolve({ ok: true }), (reason) => resolve({ ok: false, reason }));
          if (!ok) resolve({ ok: false, returned: false });
        });
      },
      /** getStats of a publisher or player: per kind {bytes, frames, codec, w, h}, the selected pair's candidate types. */
      async stats(role, streamId) {
        const ep = (role === 'play' ? window.zg._media.players : window.zg._media.publishers).get(streamId);
        if (!ep || !ep.pc) return null;
        const report = await ep.pc.getStats();
        const byId = new Map();
        report.forEach((s) => byId.set(s.id, s));
        const out = { audio: null, video: null, pair: null };
        report.forEach((s) => {
          const t = role === 'play' ? 'inbound-rtp' : 'outbound-rtp';
          if (s.type === t) {
            const codec = byId.get(s.codecId);
            out[s.kind] = {
              bytes: role === 'play' ? s.bytesReceived : s.bytesSent,
              frames: role === 'play' ? s.framesDecoded : s.framesEncoded,
              codec: codec ? codec.mimeType : null,
              w: s.frameWidth,
              h: s.frameHeight,
            };
          }
          if (s.type === 'transport' && s.selectedCandidatePairId) {
            const pair = byId.get(s.selectedCandidatePairId);
            if (pair) {
              const l = byId.get(pair.localCandidateId);
              const r = byId.get(pair.remoteCandidateId);
              out.pair = { local: l && l.candidateType, remote: r && r.candidateType, localProtocol: l && l.protocol, relayProtocol: l && l.relayProtocol };
            }
          }
        });
        out.transceivers = ep.pc.getTransceivers().map((t) => ({ kind: t.receiver.track.kind, direction: t.currentDirection }));
        return out;
      },
      videoInfo(id) {
        const v = document.getElementById(id);
        return v ? { w: v.videoWidth, h: v.videoHeight, paused: v.paused, hasSrc: v.srcObject !== null, tracks: v.srcObject ? v.srcObject.getTracks().map((t) => t.kind) : [] } : null;
      },
      /** Resolves with the time (performance.now) of the next presented video frame, or null after ms. */
      nextFrame(id, ms = 5000) {
        const v = document.getElementById(id);
        return new Promise((resolve) => {
          const t = setTimeout(() => resolve(null), ms);
          v.requestVideoFrameCallback((now) => {
            clearTimeout(t);
            resolve(now);
          });
        });
      },
    };
  });
}

export async function preview(client, id, opts = { audio: true, video: true }) {
  return client.page.evaluate(({ id, opts }) => window.__m.preview(id, opts), { id, opts });
}

export async function stats(client, role, streamId) {
  return client.page.evaluate(({ role, streamId }) => window.__m.stats(role, streamId), { role, streamId });
}

/**
 * Waits until a played stream's counters rise: video frames decoded (unless audioOnly) and audio bytes. Returns the
 * last stats.
 */
export async function assertFlowing(client, streamId, { audio = true, video = true, timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let firstAudio = null;
  let firstVideo = null;
  let last = null;
  while (Date.now() < deadline) {
    const s = await stats(client, 'play', streamId);
    if (s !== null) {
      last = s;
      if (firstAudio === null && s.audio) firstAudio = s.audio;
      if (firstVideo === null && s.video && s.video.frames > 0) firstVideo = s.video;
      const vOk = !video || (firstVideo !== null && s.video.frames > firstVideo.frames + 5);
      const aOk = !audio || (firstAudio !== null && s.audio.bytes > firstAudio.bytes + 1000);
      if (vOk && aOk) return s;
    }
    await sleep(250);
  }
  assert.fail(`media not flowing for ${streamId}: firstAudio=${JSON.stringify(firstAudio)} firstVideo=${JSON.stringify(firstVideo)} last=${JSON.stringify(last)}`);
}

/** Waits for the element to show video (videoWidth > 0) and a presented frame (requestVideoFrameCallback). */
export async function assertVideoShows(client, elId, timeoutMs = 15000) {
  await client.page.waitForFunction((id) => {
    const v = document.getElementById(id);
    return v && v.videoWidth > 0;
  }, elId, { timeout: timeoutMs, polling: 100 });
  const t = await client.page.evaluate((id) => window.__m.nextFrame(id), elId);
  assert.notEqual(t, null, 'no video frame presented');
  return client.page.evaluate((id) => window.__m.videoInfo(id), elId);
}

/** Recorded events `name` after index `from`. */
export async function eventsSince(client, name, from = 0) {
  const all = await client.events(name);
  return all.slice(from);
}
