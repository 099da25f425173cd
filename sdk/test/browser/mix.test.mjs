// Server-side mixing (reference §1.31/§1.32) on the real server and Chromium: two pages publish fake cameras, one
// of them mixes both side by side with updateMixStream; a third page gets the mix in onStreamUpdated and plays it
// over WebRTC (size, frames, audio); a layout change keeps the output playing; stopMixStream removes the stream.
// Also: a missing input (error with nonExistingInputIds) and a VP8 output played end to end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserSuite, openClient, sleep, startServer } from './harness.mjs';
import { assertFlowing, assertVideoShows, installMedia, preview, stats } from './media-helpers.mjs';

const ROOM = 'mixroom';
const W = 640;
const H = 360;

describe('mix', () => {
  const suite = browserSuite();

  async function client(idName) {
    const c = await openClient(suite.browser.context, suite.server, { idName, nickName: idName.toUpperCase() });
    await installMedia(c);
    suite.clients.push(c);
    return c;
  }

  /** Logs in as an anchor, previews the fake camera (H.264 by default) and publishes `streamId`. */
  async function publisher(idName, streamId) {
    const c = await client(idName);
    assert.equal((await c.login(ROOM, 1)).ok, true);
    assert.deepEqual(await preview(c, 'local'), { ok: true });
    const r = await c.eval((sid) => window.zg.startPublishingStream(sid, window.__m.el('local')), streamId);
    assert.equal(r, true);
    const ev = await c.waitEvent('onPublishStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId, 0]);
    return c;
  }

  /** Logs in as audience; `streams` must be in the login's stream list. */
  async function viewer(idName, streams = []) {
    const c = await client(idName);
    const r = await c.login(ROOM, 2);
    assert.equal(r.ok, true);
    for (const sid of streams) assert.ok(r.list.some((s) => s.stream_id === sid), JSON.stringify(r.list));
    return c;
  }

  async function play(c, streamId, elId = 'remote') {
    const r = await c.eval(({ streamId, elId }) => window.zg.startPlayingStream(streamId, window.__m.el(elId, false)), { streamId, elId });
    assert.equal(r, true);
    const ev = await c.waitEvent('onPlayStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId]);
  }

  function config(outputStreamId, streamList, extra = {}) {
    return { outputStreamId, outputBitrate: 800000, outputFps: 15, outputWidth: W, outputHeight: H, streamList, ...extra };
  }

  const sideBySide = [
    { streamId: 'cam-a', left: 0, top: 0, right: W / 2, bottom: H },
    { streamId: 'cam-b', left: W / 2, top: 0, right: W, bottom: H },
  ];

  /**
   * Waits until the played video (drawn into a canvas at its own size) shows each `[x, y, 'green'|'black']`;
   * fails naming the pixels last seen.
   */
  async function waitPixels(c, points, elId = 'remote', timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    let seen = null;
    while (Date.now() < deadline) {
      seen = await c.eval(
        ({ elId, points }) => {
          const v = document.getElementById(elId);
          const cv = document.createElement('canvas');
          cv.width = v.videoWidth;
          cv.height = v.videoHeight;
          const ctx = cv.getContext('2d');
          ctx.drawImage(v, 0, 0);
          return points.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
        },
        { elId, points },
      );
      const ok = points.every(([, , want], i) => {
        const [r, g, b] = seen[i];
        return want === 'green' ? g > 90 && r < 80 && b < 80 : r < 40 && g < 40 && b < 40;
      });
      if (ok) return;
      await sleep(200);
    }
    assert.fail(`pixels ${JSON.stringify(points)}: last seen ${JSON.stringify(seen)}`);
  }

  /** The number of onStreamUpdated events of `type` (0 added, 1 deleted) naming `streamId`. */
  async function streamEvents(c, type, streamId) {
    return (await c.events('onStreamUpdated')).filter((e) => e.args[0] === type && e.args[1].some((s) => s.stream_id === streamId)).length;
  }

  it('updateMixStream mixes two cameras into a stream others play; a layout change keeps it playing; stopMixStream ends it', async () => {
    suite.server = await startServer();
    const alice = await publisher('alice', 'cam-a');
    await publisher('bob', 'cam-b');
    const vic = await viewer('vic', ['cam-a', 'cam-b']);

    const mixId = 'mix-h264';
    const r = await alice.call('updateMixStream', [config(mixId, sideBySide)]);
    assert.equal(r.returned, true);
    assert.equal(r.cb, 'success', JSON.stringify(r));
    const [outId, info] = r.args;
    assert.equal(outId, mixId);
    assert.equal(info.length, 1, JSON.stringify(info));
    assert.deepEqual(Object.keys(info[0]).sort(), ['flvUrls', 'hlsUrls', 'rtmpUrls']);
    assert.equal(info[0].rtmpUrls, null);
    assert.equal(info[0].flvUrls.length, 1);
    assert.match(info[0].flvUrls[0], new RegExp(`^http://${suite.server.http}/live/\\d+/${mixId}\\.flv$`));
    assert.equal(info[0].hlsUrls.length, 1);
    assert.match(info[0].hlsUrls[0], new RegExp(`^http://${suite.server.http}/live/\\d+/${mixId}\\.m3u8$`));
    // The FLV URL serves the mix too (the output is a stream like any other).
    const flv = await fetch(info[0].flvUrls[0]);
    assert.equal(flv.status, 200);
    const reader = flv.body.getReader();
    const { value } = await reader.read();
    assert.equal(Buffer.from(value.subarray(0, 3)).toString(), 'FLV');
    await reader.cancel();

    // The viewer learns of the mix as alice's stream and plays it over WebRTC.
    const added = await vic.waitEvent('onStreamUpdated', `args[0] === 0 && args[1].some(s => s.stream_id === '${mixId}')`);
    assert.equal(added.args[1].find((s) => s.stream_id === mixId).anchor_id_name, 'alice');
    await play(vic, mixId);
    const shown = await assertVideoShows(vic, 'remote', 20000);
    assert.equal(shown.w, W, JSON.stringify(shown));
    assert.equal(shown.h, H, JSON.stringify(shown));
    const s1 = await assertFlowing(vic, mixId, { timeoutMs: 20000 });
    assert.equal(s1.video.codec, 'video/H264');
    assert.equal(s1.audio.codec, 'audio/opus');
    assert.equal(s1.video.w, W);
    assert.equal(s1.video.h, H);
    // Both halves show a camera (Chromium's fake one is green), none the black background.
    await waitPixels(vic, [[W / 4, 100, 'green'], [(3 * W) / 4, 100, 'green']]);
    const size = await vic.waitEvent('onVideoSizeChanged', `args[0] === '${mixId}'`);
    assert.deepEqual(size.args, [mixId, W, H]);

    // A new layout on the running mix: b on the left half, a in the top right quarter, background below it.
    const r2 = await alice.call('updateMixStream', [
      config(mixId, [
        { streamId: 'cam-b', left: 0, top: 0, right: W / 2, bottom: H },
        { streamId: 'cam-a', left: W / 2, top: 0, right: W, bottom: H / 2 },
      ]),
    ]);
    assert.equal(r2.cb, 'success', JSON.stringify(r2));
    assert.equal(r2.args[0], mixId);
    await waitPixels(vic, [[W / 4, 100, 'green'], [(3 * W) / 4, 40, 'green'], [(3 * W) / 4, H - 40, 'black']]);
    const before = await stats(vic, 'play', mixId);
    await sleep(2000);
    const s2 = await assertFlowing(vic, mixId);
    assert.ok(s2.video.frames > before.video.frames + 15, `frames kept rising: ${before.video.frames} → ${s2.video.frames}`);
    assert.ok(s2.audio.bytes > before.audio.bytes, 'audio kept arriving');
    assert.equal(s2.video.w, W);
    assert.equal(await streamEvents(vic, 0, mixId), 1, 'no second stream-added for the update');
    assert.equal(await streamEvents(vic, 1, mixId), 0, 'no stream-deleted for the update');
    assert.equal((await vic.events('onPlayStateUpdate')).filter((e) => e.args[1] === mixId && e.args[0] !== 0).length, 0);

    // Stopping it removes the stream from the room.
    const st = await alice.call('stopMixStream', [{ outputStreamId: mixId }]);
    assert.equal(st.cb, 'success', JSON.stringify(st));
    await vic.waitEvent('onStreamUpdated', `args[0] === 1 && args[1].some(s => s.stream_id === '${mixId}')`);
    // A second stop finds nothing: 10000 + 1000000152.
    const st2 = await alice.call('stopMixStream', [{ outputStreamId: mixId }]);
    assert.equal(st2.cb, 'error', JSON.stringify(st2));
    assert.equal(st2.args[0].msg, 'liveroom cmd error, result=1000010152');
    // The inputs are untouched.
    assert.equal(await streamEvents(vic, 1, 'cam-a'), 0);
    assert.equal(await streamEvents(vic, 1, 'cam-b'), 0);
  });

  it('an input that does not exist: error callback naming it, nothing is published', async () => {
    suite.server = await startServer();
    const alice = await publisher('alice', 'cam-a');
    const vic = await viewer('vic');
    const r = await alice.call('updateMixStream', [
      config('mix-missing', [sideBySide[0], { streamId: 'ghost', left: W / 2, top: 0, right: W, bottom: H }]),
    ]);
    assert.equal(r.returned, true);
    assert.equal(r.cb, 'error', JSON.stringify(r));
    const [err, missing] = r.args;
    assert.equal(err.code, 'ZegoClient.Error.Server', JSON.stringify(err));
    assert.equal(err.msg, 'liveroom cmd error, result=1000010150');
    assert.deepEqual(missing, ['ghost']);
    await sleep(1000);
    assert.equal(await streamEvents(vic, 0, 'mix-missing'), 0);
  });

  it('a VP8 output (extraParams video_encode vp8) plays in Chromium', async () => {
    suite.server = await startServer();
    const alice = await publisher('alice', 'cam-a');
    await publisher('bob', 'cam-b');
    const vic = await viewer('vic');
    const mixId = 'mix-vp8';
    const r = await alice.call('updateMixStream', [config(mixId, sideBySide, { extraParams: [{ key: 'video_encode', value: 'vp8' }] })]);
    assert.equal(r.cb, 'success', JSON.stringify(r));
    await vic.waitEvent('onStreamUpdated', `args[0] === 0 && args[1].some(s => s.stream_id === '${mixId}')`);
    await play(vic, mixId);
    const shown = await assertVideoShows(vic, 'remote', 20000);
    assert.deepEqual([shown.w, shown.h], [W, H], JSON.stringify(shown));
    const s = await assertFlowing(vic, mixId, { timeoutMs: 20000 });
    assert.equal(s.video.codec, 'video/VP8');
    assert.equal(s.audio.codec, 'audio/opus');
    assert.deepEqual([s.video.w, s.video.h], [W, H]);
    if (process.env.LIVEROOM_TEST_VERBOSE) console.log('vp8 play stats', JSON.stringify(s));
    const st = await alice.call('stopMixStream', [{ outputStreamId: mixId }]);
    assert.equal(st.cb, 'success', JSON.stringify(st));
    await vic.waitEvent('onStreamUpdated', `args[0] === 1 && args[1].some(s => s.stream_id === '${mixId}')`);
  });
});
