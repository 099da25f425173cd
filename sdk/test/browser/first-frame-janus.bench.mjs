// Time to first frame on Janus 1.1.2 (videoroom plugin), measured as first-frame.bench.mjs measures Liveroom: one page
// previews (fake camera + mic, 640×480 @15 fps, 800 kbps as the SDK's default preset) and publishes; then each of RUNS
// fresh pages opens its WebSocket, Janus session and videoroom handle (as our players log in to the room) and, in the
// page, t0 = performance.now() right before the subscriber `join`; the time to the first presented frame of a muted
// autoplay <video> (requestVideoFrameCallback) is the sample. Prints {metric, runs, min, median, p95, mean, samples} in
// ms as JSON. The in-page client is a plain Janus API client over WebSocket (`janus-protocol`: create, attach,
// keepalive, message, trickle).
// Run through `npm run bench:first-frame:janus` (scripts/janus-bench.sh starts a Janus for it). Env: JANUS_WS (the
// Janus WebSocket URL, default ws://127.0.0.1:8188), RUNS (default 20), BENCH_CODEC (h264|vp8, default h264),
// BENCH_STATS=1 (per-run phase times, decoder counters and the selected candidate pair on stderr, the phases' medians
// at the end; BENCH_SDP=1 adds the candidates of both sides).
import { createServer } from 'node:http';
import { percentile, summarize } from './bench-stats.mjs';
import { launchBrowser } from './harness.mjs';

const RUNS = Number(process.env.RUNS || 20);
const JANUS_WS = process.env.JANUS_WS || 'ws://127.0.0.1:8188';
const CODEC = (process.env.BENCH_CODEC || 'h264').toLowerCase();
const ROOM = 4242;

/** Installed in each page as window.JanusSession: a minimal Janus API client over one WebSocket. */
function janusLib() {
  let txn = 0;
  class Handle {
    constructor(session, id) {
      this.session = session;
      this.id = id;
      this.listeners = [];
    }
    /** Sends a plugin message; resolves with the plugin's reply (sync `success` or async `event`), rejects on errors. */
    async message(body, jsep) {
      const msg = { janus: 'message', handle_id: this.id, body };
      if (jsep) msg.jsep = jsep;
      const r = await this.session.request(msg);
      const data = r.plugindata && r.plugindata.data;
      if (data && data.error) throw new Error(`${body.request}: ${data.error_code} ${data.error}`);
      return r;
    }
    trickle(candidate) {
      const c = candidate ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex } : { completed: true };
      this.session.request({ janus: 'trickle', handle_id: this.id, candidate: c }, true).catch(() => {});
    }
    on(fn) {
      this.listeners.push(fn);
    }
    dispatch(msg) {
      for (const fn of this.listeners) fn(msg);
    }
  }
  class JanusSession {
    static open(url) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, 'janus-protocol');
        ws.onopen = () => resolve(new JanusSession(ws));
        ws.onerror = () => reject(new Error(`WebSocket ${url} failed`));
      });
    }
    constructor(ws) {
      this.ws = ws;
      this.pending = new Map();
      this.handles = new Map();
      this.id = null;
      ws.onerror = null;
      ws.onmessage = (e) => this.onMessage(JSON.parse(e.data));
    }
    onMessage(msg) {
      const p = msg.transaction !== undefined ? this.pending.get(msg.transaction) : undefined;
      if (p && (msg.janus !== 'ack' || p.ackIsReply)) {
        this.pending.delete(msg.transaction);
        if (msg.janus === 'error') p.reject(new Error(`janus error ${msg.error && msg.error.code}: ${msg.error && msg.error.reason}`));
        else p.resolve(msg);
        return;
      }
      if (p) return; // the ack of an async request: its event follows with the same transaction
      const h = this.handles.get(msg.sender);
      if (h) h.dispatch(msg);
    }
    /** `ackIsReply`: requests Janus only acknowledges (trickle, keepalive). */
    request(msg, ackIsReply = false) {
      const transaction = `t${++txn}`;
      const full = { ...msg, transaction };
      if (this.id !== null) full.session_id = this.id;
      return new Promise((resolve, reject) => {
        this.pending.set(transaction, { resolve, reject, ackIsReply });
        this.ws.send(JSON.stringify(full));
      });
    }
    async create() {
      const r = await this.request({ janus: 'create' });
      this.id = r.data.id;
      this.keepalive = setInterval(() => this.request({ janus: 'keepalive' }, true).catch(() => {}), 25000);
      return this;
    }
    async attach(plugin) {
      const r = await this.request({ janus: 'attach', plugin });
      const h = new Handle(this, r.data.id);
      this.handles.set(h.id, h);
      return h;
    }
  }
  window.JanusSession = JanusSession;
}

// Pages come from a tiny local HTTP origin (a secure context for getUserMedia, as our bench's pages are on the
// server's origin); the Janus client is added to each.
const origin = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><meta charset="utf-8"><title>janus first-frame bench</title><body></body>');
});
await new Promise((r) => origin.listen(0, '127.0.0.1', r));
const ORIGIN = `http://127.0.0.1:${origin.address().port}/`;

async function openPage(context, name) {
  const page = await context.newPage();
  const lines = [];
  page.on('console', (m) => {
    lines.push(m.text());
    if (process.env.LIVEROOM_TEST_VERBOSE) console.error(`[${name}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.error(`[${name}] pageerror: ${e.message}`));
  await page.goto(ORIGIN);
  await page.addScriptTag({ content: `(${janusLib.toString()})();` });
  return page;
}

const browser = await launchBrowser({ extraArgs: process.env.BENCH_CHROME_ARGS ? process.env.BENCH_CHROME_ARGS.split(' ') : [] });
const samples = [];
const phases = [];
try {
  const pub = await openPage(browser.context, 'pub');
  const feed = await pub.evaluate(
    async ({ url, room, codec }) => {
      const s = await (await window.JanusSession.open(url)).create();
      const h = await s.attach('janus.plugin.videoroom');
      await h.message({ request: 'create', room, publishers: 10, videocodec: codec, audiocodec: 'opus', is_private: false });
      const joined = await h.message({ request: 'join', ptype: 'publisher', room, display: 'bench-pub' });
      const id = joined.plugindata.data.id;
      // The SDK's default preview (640×480 @15 fps) and publish encodings (800 kbps video, 48 kbps Opus).
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 15 } });
      const v = document.createElement('video');
      v.muted = true;
      v.autoplay = true;
      v.srcObject = stream;
      document.body.appendChild(v);
      const pc = new RTCPeerConnection();
      pc.onicecandidate = (e) => h.trickle(e.candidate);
      pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly', streams: [stream], sendEncodings: [{ maxBitrate: 48000 }] });
      pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream], sendEncodings: [{ maxBitrate: 800000, maxFramerate: 15 }] });
      const receivingVideo = new Promise((resolve) =>
        h.on((m) => {
          if (m.janus === 'media' && m.type === 'video' && m.receiving) resolve();
        }),
      );
      const queued = [];
      h.on((m) => {
        if (m.janus !== 'trickle') return;
        const c = m.candidate;
        const add = () => pc.addIceCandidate(c.completed ? null : c).catch(() => {});
        if (pc.remoteDescription) add();
        else queued.push(add);
      });
      await pc.setLocalDescription(await pc.createOffer());
      const r = await h.message({ request: 'publish', audio: true, video: true }, { type: 'offer', sdp: pc.localDescription.sdp });
      await pc.setRemoteDescription(r.jsep);
      queued.forEach((f) => f());
      await Promise.race([receivingVideo, new Promise((_, rej) => setTimeout(() => rej(new Error('Janus reports no video from the publisher in 20 s')), 20000))]);
      window.__pub = { s, h, pc, stream };
      return id;
    },
    { url: JANUS_WS, room: ROOM, codec: CODEC },
  );

  for (let i = 0; i < RUNS; i++) {
    const sub = await openPage(browser.context, `sub-${i}`);
    try {
      // Before t0, as our players log in first: WebSocket, Janus session, videoroom handle.
      await sub.evaluate(
        async ({ url, stats, sdp }) => {
          const s = await (await window.JanusSession.open(url)).create();
          window.__sub = { s, h: await s.attach('janus.plugin.videoroom') };
          window.__benchStats = stats;
          window.__benchSdp = sdp;
        },
        { url: JANUS_WS, stats: !!process.env.BENCH_STATS, sdp: !!process.env.BENCH_SDP },
      );
      const res = await sub.evaluate(
        ({ room, feed }) =>
          new Promise((resolve, reject) => {
            const { h } = window.__sub;
            const v = document.createElement('video');
            v.muted = true;
            v.autoplay = true;
            document.body.appendChild(v);
            const timer = setTimeout(() => reject(new Error('no frame in 15 s')), 15000);
            const ph = {};
            const mark = (k) => {
              if (ph[k] === undefined) ph[k] = Math.round((performance.now() - t0) * 10) / 10;
            };
            let pc = null;
            const t0 = performance.now();
            v.requestVideoFrameCallback(async (_now, meta) => {
              clearTimeout(timer);
              const ms = performance.now() - t0;
              if (!window.__benchStats) return resolve({ ms, ph });
              // Diagnostics (as our bench's BENCH_STATS): the frame's receive time, the decoder's counters, the pair.
              ph.recv = meta.receiveTime !== undefined ? Math.round((meta.receiveTime - t0) * 10) / 10 : null;
              ph.present = Math.round((meta.presentationTime - t0) * 10) / 10;
              const st = {};
              const byId = new Map();
              const report = await pc.getStats();
              report.forEach((x) => byId.set(x.id, x));
              report.forEach((x) => {
                if (x.type === 'inbound-rtp' && x.kind === 'video') {
                  const c = byId.get(x.codecId);
                  Object.assign(st, { codec: c && `${c.mimeType} ${c.sdpFmtpLine || ''}`.trim(), fd: x.framesDecoded, pkts: x.packetsReceived, jb: x.jitterBufferDelay, jbn: x.jitterBufferEmittedCount, dec_impl: x.decoderImplementation, w: x.frameWidth, h: x.frameHeight });
                }
                if (x.type === 'transport' && x.selectedCandidatePairId) {
                  const pair = byId.get(x.selectedCandidatePairId);
                  const l = pair && byId.get(pair.localCandidateId);
                  const r = pair && byId.get(pair.remoteCandidateId);
                  if (l && r) st.pair = `${l.candidateType} ${l.address}:${l.port} -> ${r.candidateType} ${r.address}:${r.port}`;
                }
              });
              if (window.__benchSdp) {
                st.offer_cands = pc.remoteDescription.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate'));
                st.answer_cands = pc.localDescription.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate'));
                st.sent_cands = window.__sentCands;
              }
              resolve({ ms, ph, st });
            });
            const queued = [];
            h.on((m) => {
              if (m.janus === 'webrtcup') mark('janus_webrtcup');
              if (m.janus === 'media' && m.type === 'video') mark('janus_media_video');
              if (m.janus !== 'trickle') return;
              const c = m.candidate;
              const add = () => pc.addIceCandidate(c.completed ? null : c).catch(() => {});
              if (pc && pc.remoteDescription) add();
              else queued.push(add);
            });
            (async () => {
              const r = await h.message({ request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
              mark('offer');
              pc = new RTCPeerConnection();
              window.__sub.pc = pc;
              const ms = new MediaStream();
              pc.ontrack = (e) => {
                mark(`track_${e.track.kind}`);
                ms.addTrack(e.track);
                if (v.srcObject === null) v.srcObject = ms;
              };
              pc.onicecandidate = (e) => {
                if (e.candidate) (window.__sentCands = window.__sentCands || []).push(e.candidate.candidate);
                h.trickle(e.candidate);
              };
              pc.oniceconnectionstatechange = () => mark(`ice_${pc.iceConnectionState}`);
              pc.onconnectionstatechange = () => mark(`pc_${pc.connectionState}`);
              await pc.setRemoteDescription(r.jsep);
              queued.forEach((f) => f());
              await pc.setLocalDescription(await pc.createAnswer());
              mark('answer');
              await h.message({ request: 'start' }, { type: 'answer', sdp: pc.localDescription.sdp });
              mark('started');
            })().catch((e) => {
              clearTimeout(timer);
              reject(e);
            });
          }),
        { room: ROOM, feed },
      );
      samples.push(Math.round(res.ms * 10) / 10);
      phases.push(res.ph);
      if (process.env.BENCH_STATS) console.error('BENCHSTATS ' + JSON.stringify({ ms: Math.round(res.ms * 10) / 10, ...res.ph, ...res.st }));
      if (process.env.LIVEROOM_TEST_VERBOSE) console.error(`run ${i + 1}: ${res.ms.toFixed(1)} ms`);
    } finally {
      await sub.close();
    }
  }
} finally {
  await browser.close();
  origin.close();
}

if (process.env.BENCH_STATS) {
  const keys = [...new Set(phases.flatMap((p) => Object.keys(p)))];
  const med = {};
  for (const k of keys) med[k] = percentile(phases.map((p) => p[k]).filter((x) => x != null).sort((a, b) => a - b), 50);
  console.error('BENCHPHASES median ms from t0 ' + JSON.stringify(Object.fromEntries(Object.entries(med).sort((a, b) => a[1] - b[1]))));
}

console.log(JSON.stringify({ metric: 'first_frame_ms_janus', codec: CODEC, ...summarize(samples) }));
