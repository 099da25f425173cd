// Time to first frame: a stream is already publishing; each of RUNS fresh players (a new page and client, logged
// in to the room) calls startPlayingStream and the time to its first presented video frame
// (requestVideoFrameCallback) is measured in the page. Prints {runs, min, median, p95, mean, samples} in ms as JSON.
// Not part of test:browser: `npm run bench:first-frame`. Environment:
//   RUNS (default 20), LIVEROOM_BIN and SDK_BUNDLE_PATH as for the tests, BENCH_CODEC (H264 default, or VP8),
//   BENCH_PLAY_TYPE (all, video, audio), BENCH_RELAY=1 (players use relay-only ICE through the TURN relay, as the
//   original SDK does), BENCH_LOG=1 (SDK debug log, shown with LIVEROOM_TEST_VERBOSE=1),
//   BENCH_CHROME_ARGS (extra Chromium flags), and diagnostics on stderr, one `BENCHSTATS {...}` line per player:
//   BENCH_STATS=1 (the player's peer-connection event times, the first frame's receive and presentation times,
//   decoder and compositor counters; all in ms from startPlayingStream), BENCH_SDP=1 (the answer's msid lines),
//   BENCH_STEADY=1 (jitter-buffer delay per frame over the 2nd second of playback).
import { summarize } from './bench-stats.mjs';
import { launchBrowser, openClient, startServer } from './harness.mjs';
import { installMedia, preview } from './media-helpers.mjs';

const RUNS = Number(process.env.RUNS || 20);
const ROOM = 'bench-first-frame';
const STREAM = 'bench-stream';
/** The publisher's codec (BENCH_CODEC=VP8 or H264, the SDK's default). */
const CODEC = process.env.BENCH_CODEC || 'H264';

const server = await startServer();
const browser = await launchBrowser({ extraArgs: process.env.BENCH_CHROME_ARGS ? process.env.BENCH_CHROME_ARGS.split(' ') : [] });
const samples = [];
try {
  const pub = await openClient(browser.context, server, { idName: 'bench-pub', nickName: 'Pub', userStateUpdate: false });
  await installMedia(pub);
  if (!(await pub.login(ROOM, 1)).ok) throw new Error('publisher login failed');
  const pv = await preview(pub, 'local', { audio: true, video: true });
  if (!pv.ok) throw new Error(`preview failed: ${JSON.stringify(pv)}`);
  if (!(await pub.eval((s) => window.zg.startPublishingStream(s.stream, window.__m.el('local'), '', { videoDecodeType: s.codec }), { stream: STREAM, codec: CODEC }))) throw new Error('publish refused');
  await pub.waitEvent('onPublishStateUpdate', `args[0] === 0 && args[1] === '${STREAM}'`, 20000);

  for (let i = 0; i < RUNS; i++) {
    const sub = await openClient(browser.context, server, { idName: `bench-sub-${i}`, nickName: `Sub ${i}`, userStateUpdate: false, config: process.env.BENCH_LOG ? { logLevel: 0 } : {} });
    try {
      if (!(await sub.login(ROOM, 2)).ok) throw new Error('player login failed');
      if (process.env.BENCH_STATS) {
        // Timestamps of the player's peer connection states (diagnostics).
        await sub.eval((o) => {
          Object.assign(window, o);
          const Orig = window.RTCPeerConnection;
          window.__pcTimes = {};
          window.RTCPeerConnection = class extends Orig {
            constructor(...a) {
              super(...a);
              const T = window.__pcTimes;
              T.created = performance.now();
              this.addEventListener('iceconnectionstatechange', () => { T['ice_' + this.iceConnectionState] ??= performance.now(); });
              this.addEventListener('connectionstatechange', () => { T['pc_' + this.connectionState] ??= performance.now(); });
              this.addEventListener('track', (e) => { T['track_' + e.track.kind] ??= performance.now(); });
            }
          };
        }, { __benchStats: true, __benchSdp: !!process.env.BENCH_SDP, __benchSteady: !!process.env.BENCH_STEADY });
      }
      if (process.env.BENCH_PLAY_TYPE) await sub.eval((t) => { window.__benchPlayType = t; }, process.env.BENCH_PLAY_TYPE);
      if (process.env.BENCH_RELAY) await sub.eval(() => { window.__benchRelay = true; });
      const res = await sub.eval(
        (stream) =>
          new Promise((resolve, reject) => {
            const v = document.createElement('video');
            v.muted = true;
            v.autoplay = true;
            document.body.appendChild(v);
            const timer = setTimeout(() => reject(new Error('no frame in 15 s')), 15000);
            const t0 = performance.now();
            v.requestVideoFrameCallback(async (_now, meta) => {
              clearTimeout(timer);
              const ms = performance.now() - t0;
              if (!window.__benchStats) return resolve(ms);
              // Diagnostics: where the first frame's time went inside the browser.
              const ep = window.zg._media.players.get(stream);
              const st = {};
              (await ep.pc.getStats()).forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'video') Object.assign(st, { fd: s.framesDecoded, fr: s.framesReceived, jb: s.jitterBufferDelay, jbn: s.jitterBufferEmittedCount, dec: s.totalDecodeTime, proc: s.totalProcessingDelay, dec_impl: s.decoderImplementation, pkts: s.packetsReceived, fdrop: s.framesDropped });
              });
              if (window.__benchSdp) st.sdp = ep.pc.remoteDescription.sdp.split('\r\n').filter((l) => /msid|^m=|ssrc/.test(l));
              const q = v.getVideoPlaybackQuality();
              st.qdrop = q.droppedVideoFrames;
              st.qtotal = q.totalVideoFrames;
              st.presented = meta.presentedFrames;
              st.present = meta.presentationTime - t0;
              st.pc = Object.fromEntries(Object.entries(window.__pcTimes || {}).map(([k, t]) => [k, Math.round(t - t0)]));
              st.expected = meta.expectedDisplayTime - t0;
              st.recv = meta.receiveTime !== undefined ? meta.receiveTime - t0 : null;
              if (window.__benchSteady) {
                // The jitter buffer's delay per frame once playing: a player left behind live shows it here.
                const jb = async () => {
                  let r = null;
                  (await ep.pc.getStats()).forEach((s) => {
                    if (s.type === 'inbound-rtp' && s.kind === 'video') r = [s.jitterBufferDelay, s.jitterBufferEmittedCount, s.framesDecoded];
                  });
                  return r;
                };
                await new Promise((r) => setTimeout(r, 1000));
                const a = await jb();
                await new Promise((r) => setTimeout(r, 1000));
                const b = await jb();
                st.steady_jb_ms = ((b[0] - a[0]) / (b[1] - a[1])) * 1000;
                st.steady_fps = b[2] - a[2];
              }
              resolve({ ms, st });
            });
            const opt = {};
            if (window.__benchPlayType) opt.playType = window.__benchPlayType;
            if (window.__benchRelay) opt.iceTransportPolicy = 'relay';
            if (!window.zg.startPlayingStream(stream, v, '', opt)) reject(new Error('play refused'));
          }),
        STREAM,
      );
      const ms = typeof res === 'number' ? res : res.ms;
      if (typeof res !== 'number') console.error('BENCHSTATS ' + JSON.stringify(res.st));
      samples.push(Math.round(ms * 10) / 10);
      if (process.env.LIVEROOM_TEST_VERBOSE) console.error(`run ${i + 1}: ${ms.toFixed(1)} ms`);
    } finally {
      await sub.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}

console.log(
  JSON.stringify({
    metric: 'first_frame_ms',
    codec: CODEC,
    play_type: process.env.BENCH_PLAY_TYPE || 'all',
    ice: process.env.BENCH_RELAY ? 'relay' : 'all',
    ...summarize(samples),
  }),
);
