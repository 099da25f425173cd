// Time to first frame: a stream is already publishing; each of RUNS fresh players (a new page and client, logged
// in to the room) calls startPlayingStream and the time to its first presented video frame
// (requestVideoFrameCallback) is measured in the page. Prints {runs, min, median, p95, mean, samples} in ms as JSON.
// Not part of test:browser: `npm run bench:first-frame` (env RUNS, default 20; LIVEROOM_BIN as for the tests).
import { launchBrowser, openClient, startServer } from './harness.mjs';
import { installMedia, preview } from './media-helpers.mjs';

const RUNS = Number(process.env.RUNS || 20);
const ROOM = 'bench-first-frame';
const STREAM = 'bench-stream';

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const server = await startServer();
const browser = await launchBrowser();
const samples = [];
try {
  const pub = await openClient(browser.context, server, { idName: 'bench-pub', nickName: 'Pub', userStateUpdate: false });
  await installMedia(pub);
  if (!(await pub.login(ROOM, 1)).ok) throw new Error('publisher login failed');
  const pv = await preview(pub, 'local', { audio: true, video: true });
  if (!pv.ok) throw new Error(`preview failed: ${JSON.stringify(pv)}`);
  if (!(await pub.eval((s) => window.zg.startPublishingStream(s, window.__m.el('local')), STREAM))) throw new Error('publish refused');
  await pub.waitEvent('onPublishStateUpdate', `args[0] === 0 && args[1] === '${STREAM}'`, 20000);

  for (let i = 0; i < RUNS; i++) {
    const sub = await openClient(browser.context, server, { idName: `bench-sub-${i}`, nickName: `Sub ${i}`, userStateUpdate: false, config: process.env.BENCH_LOG ? { logLevel: 0 } : {} });
    try {
      if (!(await sub.login(ROOM, 2)).ok) throw new Error('player login failed');
      const ms = await sub.eval(
        (stream) =>
          new Promise((resolve, reject) => {
            const v = document.createElement('video');
            v.muted = true;
            v.autoplay = true;
            document.body.appendChild(v);
            const timer = setTimeout(() => reject(new Error('no frame in 15 s')), 15000);
            const t0 = performance.now();
            v.requestVideoFrameCallback(() => {
              clearTimeout(timer);
              resolve(performance.now() - t0);
            });
            if (!window.zg.startPlayingStream(stream, v)) reject(new Error('play refused'));
          }),
        STREAM,
      );
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

const sorted = samples.slice().sort((a, b) => a - b);
console.log(
  JSON.stringify({
    metric: 'first_frame_ms',
    runs: samples.length,
    min: sorted[0],
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10,
    samples,
  }),
);
