// Live outputs seen from a browser: page A publishes Chromium's fake camera and microphone with the SDK (H.264,
// passed through; VP8, transcoded by the server to H.264), page B gets the stream's HTTP-FLV URL through the SDK
// (the stream list of onStreamUpdated or loginRoom, then filterStreamList) and plays it with mpegts.js (Media Source
// Extensions) into a <video>: the decoded picture has the published size, frames keep coming, time advances, and
// AAC audio is decoded. The pages are on the server's origin (see harness.mjs).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { APPID, browserSuite, openClient, sleep, startServer } from './harness.mjs';
import { installMedia, preview, stats } from './media-helpers.mjs';

const MPEGTS = createRequire(import.meta.url).resolve('mpegts.js/dist/mpegts.js');
const WIDTH = 640;
const HEIGHT = 360;

/** Installs mpegts.js and `window.__flv` on the page: start(url) plays the FLV into <video id="flv">, info() reads it. */
async function installFlv(client) {
  await client.page.addScriptTag({ path: MPEGTS });
  await client.page.evaluate(() => {
    window.__flv = {
      errors: [],
      complete: false,
      start(url) {
        if (!window.mpegts || !window.mpegts.isSupported()) return { ok: false, reason: 'mpegts.js: MSE not supported' };
        const v = document.createElement('video');
        v.id = 'flv';
        v.muted = true;
        v.autoplay = true;
        v.playsInline = true;
        document.body.appendChild(v);
        const p = window.mpegts.createPlayer({ type: 'flv', isLive: true, url }, { enableWorker: false, lazyLoad: false });
        p.on(window.mpegts.Events.ERROR, (type, detail, info) => window.__flv.errors.push({ type, detail, info: JSON.parse(JSON.stringify(info ?? null)) }));
        p.on(window.mpegts.Events.LOADING_COMPLETE, () => (window.__flv.complete = true));
        p.attachMediaElement(v);
        p.load();
        const r = p.play();
        if (r && r.catch) r.catch((e) => window.__flv.errors.push({ type: 'play', detail: String(e) }));
        window.__flv.player = p;
        return { ok: true };
      },
      info() {
        const v = document.getElementById('flv');
        const q = v.getVideoPlaybackQuality();
        const mi = window.__flv.player.mediaInfo || {};
        return {
          w: v.videoWidth,
          h: v.videoHeight,
          t: v.currentTime,
          paused: v.paused,
          frames: q.totalVideoFrames,
          dropped: q.droppedVideoFrames,
          audioBytes: v.webkitAudioDecodedByteCount,
          videoBytes: v.webkitVideoDecodedByteCount,
          hasAudio: mi.hasAudio === true,
          hasVideo: mi.hasVideo === true,
          audioCodec: mi.audioCodec || null,
          videoCodec: mi.videoCodec || null,
          errors: window.__flv.errors,
          complete: window.__flv.complete,
        };
      },
      stop() {
        const p = window.__flv.player;
        if (!p) return;
        p.pause();
        p.unload();
        p.detachMediaElement();
        p.destroy();
        window.__flv.player = null;
      },
    };
  });
}

describe('HTTP-FLV playback of a published stream (mpegts.js)', () => {
  const suite = browserSuite();

  async function client(idName) {
    const c = await openClient(suite.browser.context, suite.server, { idName, nickName: idName.toUpperCase() });
    await installMedia(c);
    suite.clients.push(c);
    return c;
  }

  async function publish(pub, streamId, option) {
    const r = await pub.eval(({ streamId, option }) => window.zg.startPublishingStream(streamId, window.__m.el('local'), 'extra', option), { streamId, option });
    assert.equal(r, true);
    const ev = await pub.waitEvent('onPublishStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId, 0]);
  }

  /**
   * Waits until the FLV <video> shows the size the publisher sends and frames, time and audio bytes keep rising.
   * (A WebRTC publisher starts small and raises its resolution as the bandwidth estimate grows, and lowers it when
   * the machine is busy: the FLV follows it.) `sent()` is the publisher's current [width, height].
   */
  async function assertFlvPlays(viewer, label, sent) {
    await viewer.page
      .waitForFunction(() => {
        const v = document.getElementById('flv');
        return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0;
      }, undefined, { timeout: 30000, polling: 200 })
      .catch(async (e) => {
        throw new Error(`${label}: no FLV picture: ${e.message}; ${JSON.stringify(await viewer.eval(() => window.__flv.info()))}`);
      });
    const first = await viewer.eval(() => window.__flv.info());
    let last = first;
    let size = await sent();
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      await sleep(500);
      last = await viewer.eval(() => window.__flv.info());
      size = await sent();
      const sized = last.w === size[0] && last.h === size[1];
      if (sized && last.frames >= first.frames + 20 && last.t >= first.t + 1.5 && last.audioBytes > first.audioBytes + 2000) break;
    }
    const detail = `${label}: first=${JSON.stringify(first)} last=${JSON.stringify(last)} sent=${JSON.stringify(size)}`;
    assert.deepEqual(last.errors, [], detail);
    assert.equal(last.paused, false, detail);
    assert.deepEqual([last.w, last.h], size, detail);
    // The preview's aspect ratio, whatever scale the publisher's encoder chose.
    assert.ok(Math.abs(last.w / last.h - WIDTH / HEIGHT) < 0.02, `aspect ratio: ${detail}`);
    assert.ok(last.frames >= first.frames + 20, `video frames decoded keep rising: ${detail}`);
    assert.ok(last.t >= first.t + 1.5, `currentTime advances: ${detail}`);
    assert.equal(last.hasVideo, true, detail);
    assert.match(last.videoCodec, /^avc1\./, detail);
    assert.equal(last.hasAudio, true, detail);
    assert.match(last.audioCodec, /^mp4a\.40\./, detail);
    assert.ok(last.audioBytes > first.audioBytes + 2000, `audio decoded keeps rising: ${detail}`);
    return last;
  }

  for (const codec of ['H264', 'VP8']) {
    it(`${codec}: the stream's FLV URL from the SDK plays in mpegts.js at the published size, with frames and audio`, async () => {
      suite.server = await startServer();
      const room = `flv-${codec.toLowerCase()}`;
      const sid = `live-${codec}`;
      const pub = await client(`${room}-pub`);
      assert.equal((await pub.login(room, 1)).ok, true);
      assert.deepEqual(await preview(pub, 'local', { audio: true, video: true, videoQuality: 4, width: WIDTH, height: HEIGHT, frameRate: 15 }), { ok: true });

      // H.264: the viewer is in the room first and learns the stream (with its URLs) from onStreamUpdated;
      // VP8: the viewer logs in after the publisher went live and finds it in loginRoom's stream list.
      let viewer;
      let stream;
      if (codec === 'H264') {
        viewer = await client(`${room}-viewer`);
        const login = await viewer.login(room, 2);
        assert.equal(login.ok, true);
        assert.deepEqual(login.list, []);
        await publish(pub, sid);
        const ev = await viewer.waitEvent('onStreamUpdated', `args[0] === 0 && args[1].some(s => s.stream_id === '${sid}')`);
        stream = ev.args[1].find((s) => s.stream_id === sid);
      } else {
        await publish(pub, sid, { videoDecodeType: 'VP8' });
        viewer = await client(`${room}-viewer`);
        const login = await viewer.login(room, 2);
        assert.equal(login.ok, true, JSON.stringify(login));
        stream = login.list.find((s) => s.stream_id === sid);
      }
      const pubStats = await stats(pub, 'publish', sid);
      assert.equal(pubStats.video.codec, `video/${codec}`);

      const base = `http://${suite.server.http}/live/${APPID}/${sid}`;
      assert.ok(stream, 'the stream is in the viewer\'s list');
      assert.deepEqual(stream.urls_flv, [`${base}.flv`], JSON.stringify(stream));
      assert.deepEqual(stream.urls_hls, [`${base}.m3u8`], JSON.stringify(stream));
      // filterStreamList: Chromium on an http: page plays FLV.
      const urls = await viewer.invoke('filterStreamList', sid);
      assert.deepEqual(urls, [`${base}.flv`]);

      await installFlv(viewer);
      assert.deepEqual(await viewer.eval((url) => window.__flv.start(url), urls[0]), { ok: true });
      const sent = async () => {
        const st = await stats(pub, 'publish', sid);
        return [st.video.w, st.video.h];
      };
      await assertFlvPlays(viewer, codec, sent);

      // The publisher stops: the live response ends once the output saw nothing for FLV_SOURCE_IDLE (10 s,
      // docs/protocol.md §11) and mpegts.js reports the end of loading; then the URL answers 404.
      assert.equal(await pub.invoke('stopPublishingStream', sid), true);
      await viewer.waitEvent('onStreamUpdated', `args[0] === 1 && args[1].some(s => s.stream_id === '${sid}')`);
      const stopped = Date.now();
      await viewer.page.waitForFunction(() => window.__flv.complete || window.__flv.errors.length > 0, undefined, { timeout: 20000, polling: 200 });
      const endedMs = Date.now() - stopped;
      const ended = await viewer.eval(() => window.__flv.info());
      assert.equal(ended.complete, true, JSON.stringify(ended));
      const frames = ended.frames;
      await sleep(1000);
      assert.ok((await viewer.eval(() => window.__flv.info())).frames <= frames + 2, 'no frames after the end');
      const gone = await fetch(`${base}.flv`, { signal: AbortSignal.timeout(10000) });
      const body = await gone.text();
      assert.equal(gone.status, 404, body);
      assert.match(body, /not being published/);
      console.log(`${codec}: the FLV response ended ${endedMs} ms after the stream was removed`);
      await viewer.eval(() => window.__flv.stop());
    });
  }

  it('a stream nobody publishes: the FLV URL answers 404 and mpegts.js reports a network error', async () => {
    suite.server = await startServer();
    const viewer = await client('flv-none-viewer');
    await installFlv(viewer);
    const url = `http://${suite.server.http}/live/${APPID}/nobody.flv`;
    assert.deepEqual(await viewer.eval((u) => window.__flv.start(u), url), { ok: true });
    const err = await viewer.page.waitForFunction(() => window.__flv.errors[0] || false, undefined, { timeout: 15000, polling: 100 });
    const e = await err.jsonValue();
    assert.equal(e.type, 'NetworkError', JSON.stringify(e));
    assert.equal(e.info && e.info.code, 404, JSON.stringify(e));
    const info = await viewer.eval(() => window.__flv.info());
    assert.equal(info.frames, 0);
    assert.equal(info.w, 0);
  });
});
