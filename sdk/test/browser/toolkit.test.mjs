// The media toolkit on the real server and Chromium's fake devices: sound effects and <audio> mixing heard by a
// player, getAudioInfo levels, recording (a playable WebM of the recorded length, audio-only), snapshots, screen
// sharing published as reference §4.4 and played by another page, onScreenSharingEnded, stopScreenShot.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { browserSuite, openClient, sleep, startServer } from './harness.mjs';
import { assertVideoShows, installMedia, preview } from './media-helpers.mjs';

/** In-page helpers: generated WAV files, level sampling, downloads loaded back into an element. */
async function installToolkit(client) {
  await client.page.evaluate(() => {
    window.__t = {
      /** A mono 16-bit WAV of a sine: an object URL. */
      wav(freq, seconds, amp = 0.5) {
        const rate = 48000;
        const n = Math.round(rate * seconds);
        const buf = new ArrayBuffer(44 + n * 2);
        const v = new DataView(buf);
        const str = (o, s) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
        str(0, 'RIFF');
        v.setUint32(4, 36 + n * 2, true);
        str(8, 'WAVEfmt ');
        v.setUint32(16, 16, true);
        v.setUint16(20, 1, true);
        v.setUint16(22, 1, true);
        v.setUint32(24, rate, true);
        v.setUint32(28, rate * 2, true);
        v.setUint16(32, 2, true);
        v.setUint16(34, 16, true);
        str(36, 'data');
        v.setUint32(40, n * 2, true);
        for (let i = 0; i < n; i++) v.setInt16(44 + i * 2, Math.round(amp * 32767 * Math.sin((2 * Math.PI * freq * i) / rate)), true);
        return URL.createObjectURL(new Blob([buf], { type: 'audio/wav' }));
      },
      /** The highest `instant` of a getAudioInfo meter on element `id` over `ms`. */
      async peak(id, ms = 600) {
        const el = document.getElementById(id);
        if (!el.__meter) el.__meter = window.zg.getAudioInfo(el, (e) => (el.__meterError = e));
        if (!el.__meter) return { error: el.__meterError };
        let max = 0;
        const end = performance.now() + ms;
        while (performance.now() < end) {
          max = Math.max(max, el.__meter.instant);
          await new Promise((r) => setTimeout(r, 30));
        }
        return max;
      },
      /** Loads bytes (base64) as a media file: its duration, video size, and whether it plays. */
      async loadMedia(b64, type) {
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        const v = document.createElement('video');
        v.muted = true;
        v.src = URL.createObjectURL(new Blob([bytes], { type }));
        document.body.appendChild(v);
        await new Promise((resolve, reject) => {
          v.onloadedmetadata = resolve;
          v.onerror = () => reject(new Error(`media error ${v.error && v.error.code}`));
        });
        const duration = v.duration;
        const t0 = v.currentTime;
        await v.play();
        await new Promise((r) => setTimeout(r, 400));
        const advanced = v.currentTime > t0;
        v.pause();
        return { duration, w: v.videoWidth, h: v.videoHeight, advanced };
      },
    };
  });
}

describe('media toolkit', () => {
  // Effects and mixing run in an AudioContext and an unmuted <audio>: no user gesture in a test.
  const suite = browserSuite({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });

  async function client(idName) {
    const c = await openClient(suite.browser.context, suite.server, { idName, nickName: idName.toUpperCase() });
    await installMedia(c);
    await installToolkit(c);
    suite.clients.push(c);
    return c;
  }

  async function publish(pub, streamId, elId = 'local') {
    const r = await pub.eval(({ streamId, elId }) => window.zg.startPublishingStream(streamId, document.getElementById(elId), ''), { streamId, elId });
    assert.equal(r, true);
    const ev = await pub.waitEvent('onPublishStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId, 0]);
  }

  async function play(sub, streamId) {
    const r = await sub.eval((streamId) => window.zg.startPlayingStream(streamId, window.__m.el('remote', false)), streamId);
    assert.equal(r, true);
    const ev = await sub.waitEvent('onPlayStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId]);
  }

  /** Publisher (microphone muted, so the player hears only what is mixed in) and a player of `streamId`. */
  async function mutedPair(room, streamId) {
    suite.server = await startServer();
    const pub = await client(`${room}-pub`);
    const sub = await client(`${room}-sub`);
    assert.equal((await pub.login(room, 1)).ok, true);
    assert.equal((await sub.login(room, 2)).ok, true);
    assert.deepEqual(await preview(pub, 'local'), { ok: true });
    assert.equal(await pub.eval(() => window.zg.enableMicrophone(document.getElementById('local'), false)), true);
    await publish(pub, streamId);
    await play(sub, streamId);
    return { pub, sub };
  }

  /** Waits until the player's level (getAudioInfo on #remote, peak over 600 ms) satisfies `ok`. */
  async function waitLevel(sub, ok, what, timeoutMs = 8000) {
    const deadline = Date.now() + timeoutMs;
    const seen = [];
    while (Date.now() < deadline) {
      const p = await sub.eval(() => window.__t.peak('remote'));
      assert.equal(typeof p, 'number', `getAudioInfo failed: ${JSON.stringify(p)}`);
      seen.push(Math.round(p * 1000) / 1000);
      if (ok(p)) return p;
    }
    assert.fail(`${what}: levels seen ${seen.join(', ')}`);
  }
  const LOUD = (p) => p > 0.08;
  const QUIET = (p) => p < 0.02;

  it('effects: a played effect raises the level the player receives; pause, resume, volume, unload, end callbacks', async () => {
    const { pub, sub } = await mutedPair('room-fx', 'fx');
    await waitLevel(sub, QUIET, 'muted microphone: silence before any effect');

    const loaded = await pub.eval(
      () =>
        new Promise((resolve) => {
          const ok = window.zg.preloadEffect(1, window.__t.wav(440, 1.5), (err) => resolve({ ok, err: err === undefined ? 'none' : err }));
          if (!ok) resolve({ ok });
        }),
    );
    assert.deepEqual(loaded, { ok: true, err: 'none' });
    const started = await pub.eval(
      () =>
        new Promise((resolve) => {
          window.__fxEnds = 0;
          const ok = window.zg.playEffect({ streamId: 'fx', effectId: 1, loop: true }, () => resolve(ok), () => window.__fxEnds++);
          if (!ok) resolve(false);
        }),
    );
    assert.equal(started, true);
    await waitLevel(sub, LOUD, 'effect playing: the player hears it');
    // one effect at a time per stream
    assert.equal(await pub.eval(() => window.zg.playEffect({ streamId: 'fx', effectId: 1 })), false);

    assert.equal(await pub.invoke('pauseEffect', 'fx'), true);
    assert.equal(await pub.invoke('pauseEffect', 'fx'), false, 'already paused');
    await waitLevel(sub, QUIET, 'effect paused: silence again');
    assert.equal(await pub.invoke('resumeEffect', 'fx'), true);
    await waitLevel(sub, LOUD, 'effect resumed');

    assert.equal(await pub.invoke('setMixingAudioVolume', 'fx', 0), true);
    await waitLevel(sub, QUIET, 'mixing volume 0');
    assert.equal(await pub.invoke('setMixingAudioVolume', 'fx', 100), true);
    await waitLevel(sub, LOUD, 'mixing volume 100');

    assert.equal(await pub.invoke('unloadEffect', 1), true);
    assert.equal(await pub.eval(() => window.__fxEnds), 1, 'unloading a playing effect ends it');
    await waitLevel(sub, QUIET, 'effect unloaded: silence');
    // the sender has the microphone track back
    assert.equal(
      await pub.eval(() => {
        const pc = window.zg._media.publishers.get('fx').pc;
        const s = pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
        return s.track === document.getElementById('local').srcObject.getAudioTracks()[0];
      }),
      true,
    );

    // a short effect without loop ends by itself (end callback), from playTime on
    const ended = await pub.eval(
      () =>
        new Promise((resolve) => {
          window.zg.preloadEffect(2, window.__t.wav(330, 0.6), () => {
            const t0 = performance.now();
            const ok = window.zg.playEffect({ streamId: 'fx', effectId: 2, playTime: 200 }, undefined, () => resolve({ ok, ms: performance.now() - t0 }));
            if (!ok) resolve({ ok });
          });
        }),
    );
    assert.equal(ended.ok, true);
    assert.ok(ended.ms > 250 && ended.ms < 1500, `a 600 ms effect from 200 ms ends after ~400 ms: ${ended.ms}`);

    // bad input: false and a log line; loading errors reach the callback with an error code
    const bad = await pub.eval(() => ({
      unknownEffect: window.zg.playEffect({ streamId: 'fx', effectId: 99 }),
      notPublished: window.zg.playEffect({ streamId: 'nope', effectId: 2 }),
      badConfig: window.zg.playEffect({ streamId: 'fx', effectId: 2, loop: 'yes' }),
      pastEnd: window.zg.playEffect({ streamId: 'fx', effectId: 2, playTime: 5000 }),
      pauseNothing: window.zg.pauseEffect('fx'),
      resumeNothing: window.zg.resumeEffect('fx'),
      volume: window.zg.setMixingAudioVolume('fx', 101),
      volumeUnpublished: window.zg.setMixingAudioVolume('nope', 50),
      unload: window.zg.unloadEffect(42),
      preloadId: window.zg.preloadEffect('1', 'x.wav'),
      preloadDup: window.zg.preloadEffect(2, 'x.wav'),
    }));
    for (const [k, v] of Object.entries(bad)) assert.equal(v, false, k);
    assert.ok(pub.console.some((l) => l.includes('zc.playEffect.param')), 'invalid calls are logged');
    const missing = await pub.eval(() => new Promise((resolve) => window.zg.preloadEffect(3, '/no-such-effect.wav', resolve)));
    assert.equal(missing.code, 'ZegoClient.Error.Network');
    const undecodable = await pub.eval(() => new Promise((resolve) => window.zg.preloadEffect(4, URL.createObjectURL(new Blob(['not audio'])), resolve)));
    assert.equal(undecodable.code, 'ZegoClient.Error.Param');

    // stopping the stream ends the effect
    await pub.eval(() => new Promise((resolve) => window.zg.preloadEffect(5, window.__t.wav(440, 1), resolve)));
    assert.equal(await pub.eval(() => window.zg.playEffect({ streamId: 'fx', effectId: 5, loop: true }, undefined, () => (window.__endedByStop = true))), true);
    assert.equal(await pub.invoke('stopPublishingStream', 'fx'), true);
    assert.equal(await pub.eval(() => window.__endedByStop), true);
  });

  it('startMixingAudio: an <audio> element is mixed into the published stream; volume, pausing the element, stop', async () => {
    const { pub, sub } = await mutedPair('room-mix', 'mx');
    await waitLevel(sub, QUIET, 'silence before mixing');
    const started = await pub.eval(async () => {
      const a = document.createElement('audio');
      a.id = 'music';
      a.loop = true;
      a.src = window.__t.wav(660, 2);
      document.body.appendChild(a);
      await a.play();
      return window.zg.startMixingAudio('mx', a, false);
    });
    assert.equal(started, true);
    await waitLevel(sub, LOUD, 'the element is heard by the player');
    assert.equal(await pub.eval(() => window.zg.startMixingAudio('mx', document.getElementById('music'), false)), false, 'one element per stream');

    assert.equal(await pub.invoke('setMixingAudioVolume', 'mx', 0), true);
    await waitLevel(sub, QUIET, 'mixing volume 0');
    assert.equal(await pub.invoke('setMixingAudioVolume', 'mx', 100), true);
    await waitLevel(sub, LOUD, 'mixing volume 100');

    await pub.eval(() => document.getElementById('music').pause());
    await waitLevel(sub, QUIET, 'element paused');
    await pub.eval(() => document.getElementById('music').play());
    await waitLevel(sub, LOUD, 'element playing again');

    assert.equal(await pub.invoke('stopMixingAudio', 'mx'), true);
    await waitLevel(sub, QUIET, 'mixing stopped');
    assert.equal(await pub.invoke('stopMixingAudio', 'mx'), false);
    const bad = await pub.eval(() => ({
      noReplace: window.zg.startMixingAudio('mx', document.getElementById('music')),
      notElement: window.zg.startMixingAudio('mx', {}, false),
      notPublished: window.zg.startMixingAudio('nope', document.getElementById('music'), false),
    }));
    for (const [k, v] of Object.entries(bad)) assert.equal(v, false, k);
  });

  it('getAudioInfo: a live instant level of the preview; error callback when the element has no audio', async () => {
    suite.server = await startServer();
    const c = await client('level');
    assert.deepEqual(await preview(c, 'local'), { ok: true });
    // Chromium's fake microphone beeps: the level rises above silence within a few hundred ms
    const peak = await c.eval(() => window.__t.peak('local', 2500));
    assert.ok(peak > 0.01, `preview level ${peak}`);
    const meter = await c.eval(() => {
      const m = window.zg.getAudioInfo(document.getElementById('local'), () => undefined);
      return { keys: Object.keys(m), type: typeof m.instant };
    });
    assert.deepEqual(meter, { keys: ['instant'], type: 'number' });
    assert.deepEqual(await preview(c, 'video-only', { audio: false, video: true }), { ok: true });
    const noAudio = await c.eval(() => {
      let err = null;
      const r = window.zg.getAudioInfo(document.getElementById('video-only'), (e) => (err = e));
      return { r, err };
    });
    assert.equal(noAudio.r, false);
    assert.equal(noAudio.err.code, 'ZegoClient.Error.Param');
    assert.equal(await c.eval(() => window.zg.getAudioInfo(document.getElementById('local'))), false, 'error callback is required');
  });

  it('recording: start, pause, resume, stop, saveRecord give a playable WebM of the recorded length; audio-only', async () => {
    suite.server = await startServer();
    const c = await client('rec');
    assert.deepEqual(await preview(c, 'local', { video: true, audio: true, videoQuality: 4, width: 320, height: 240, frameRate: 15 }), { ok: true });
    await assertVideoShows(c, 'local');
    assert.equal(await c.eval(() => window.ZegoClient.pauseRecord()), false, 'not recording');
    assert.equal(await c.eval(() => window.ZegoClient.startRecord(document.getElementById('local'))), true);
    assert.equal(await c.eval(() => window.ZegoClient.startRecord(document.getElementById('local'))), false, 'one recording at a time');
    await sleep(1500);
    assert.equal(await c.eval(() => window.ZegoClient.pauseRecord()), true);
    await sleep(1000); // not recorded
    assert.equal(await c.eval(() => window.ZegoClient.resumeRecord()), true);
    await sleep(1000);
    assert.equal(await c.eval(() => window.ZegoClient.stopRecord()), true);
    assert.equal(await c.eval(() => window.ZegoClient.saveRecord('')), false);
    const [dl] = await Promise.all([c.page.waitForEvent('download'), c.eval(() => window.ZegoClient.saveRecord('clip'))]);
    assert.equal(dl.suggestedFilename(), 'clip.webm');
    const bytes = readFileSync(await dl.path());
    assert.equal(bytes.subarray(0, 4).toString('hex'), '1a45dfa3', 'an EBML (WebM) file');
    const media = await c.eval(({ b64 }) => window.__t.loadMedia(b64, 'video/webm'), { b64: bytes.toString('base64') });
    assert.ok(Number.isFinite(media.duration), `duration in the header: ${media.duration}`);
    assert.ok(media.duration > 2.1 && media.duration < 3.1, `2.5 s recorded (1 s paused): ${media.duration}`);
    assert.deepEqual([media.w, media.h], [320, 240]);
    assert.equal(media.advanced, true, 'it plays');

    // audio only
    assert.equal(await c.eval(() => window.ZegoClient.startRecord(document.getElementById('local'), { audio: true })), true);
    await sleep(1200);
    assert.equal(await c.eval(() => window.ZegoClient.stopRecord()), true);
    const [dl2] = await Promise.all([c.page.waitForEvent('download'), c.eval(() => window.ZegoClient.saveRecord('voice'))]);
    assert.equal(dl2.suggestedFilename(), 'voice.webm');
    const audio = await c.eval(({ b64 }) => window.__t.loadMedia(b64, 'audio/webm'), { b64: readFileSync(await dl2.path()).toString('base64') });
    assert.ok(audio.duration > 0.9 && audio.duration < 1.6, `1.2 s of audio: ${audio.duration}`);
    assert.equal(audio.w, 0, 'no video track');
    assert.equal(await c.eval(() => window.ZegoClient.startRecord(document.getElementById('local'), { audio: 'yes' })), false);
  });

  it("snapshots: takeSnapShot gives a JPEG of the video's size; saveSnapShot downloads <name>.jpg", async () => {
    suite.server = await startServer();
    const c = await client('snap');
    assert.deepEqual(await preview(c, 'local', { video: true, audio: false, videoQuality: 4, width: 320, height: 240, frameRate: 15 }), { ok: true });
    const shown = await assertVideoShows(c, 'local');
    const img = await c.eval(async () => {
      const img = document.createElement('img');
      const v = document.getElementById('local');
      v.style.width = '100px'; // the element's CSS size does not matter
      const r = window.ZegoClient.takeSnapShot(v, img);
      await img.decode();
      return { r, w: img.naturalWidth, h: img.naturalHeight, type: img.src.slice(0, 15) };
    });
    assert.deepEqual(img, { r: true, w: shown.w, h: shown.h, type: 'data:image/jpeg' });
    assert.deepEqual([shown.w, shown.h], [320, 240]);
    const [dl] = await Promise.all([c.page.waitForEvent('download'), c.eval(() => window.ZegoClient.saveSnapShot(document.getElementById('local'), 'shot'))]);
    assert.equal(dl.suggestedFilename(), 'shot.jpg');
    const jpeg = readFileSync(await dl.path());
    assert.equal(jpeg.subarray(0, 2).toString('hex'), 'ffd8', 'JPEG');
    const bad = await c.eval(() => {
      const empty = document.createElement('video');
      return {
        notImg: window.ZegoClient.takeSnapShot(document.getElementById('local'), document.createElement('div')),
        noFrame: window.ZegoClient.takeSnapShot(empty, document.createElement('img')),
        noName: window.ZegoClient.saveSnapShot(document.getElementById('local'), ''),
      };
    });
    assert.deepEqual(bad, { notImg: false, noFrame: false, noName: false });
  });

  it('screen sharing: a shared screen published as reference §4.4 plays on another page; onScreenSharingEnded; stopScreenShot', async () => {
    suite.server = await startServer();
    const pub = await client('screen-pub');
    const sub = await client('screen-sub');
    assert.equal((await pub.login('room-screen', 1)).ok, true);
    assert.equal((await sub.login('room-screen', 2)).ok, true);
    // reference §4.4: the share shown in an element, previewed with externalCapture, then published
    const shared = await pub.eval(
      () =>
        new Promise((resolve) => {
          const ok = window.zg.startScreenSharing({ frameRate: 10 }, false, (suc, stream) => {
            if (!suc) return resolve({ suc, reason: stream });
            const v = window.__m.el('screen');
            v.srcObject = stream;
            const t = stream.getVideoTracks()[0];
            window.__share = stream;
            window.zg.startPreview(
              v,
              { externalCapture: true, videoQuality: 4, width: 1280, height: 720, frameRate: 10 },
              () => resolve({ suc, ok, frameRate: t.getSettings().frameRate, audio: stream.getAudioTracks().length, surface: t.getSettings().displaySurface }),
              (reason) => resolve({ suc, ok, previewError: reason }),
            );
          });
          if (!ok) resolve({ ok });
        }),
    );
    assert.deepEqual(shared, { suc: true, ok: true, frameRate: 10, audio: 0, surface: 'monitor' });
    await publish(pub, 'screen', 'screen');
    await play(sub, 'screen');
    const info = await assertVideoShows(sub, 'remote');
    assert.ok(info.w >= 640 && info.w / info.h > 1.5, `a 16:9 screen arrives: ${JSON.stringify(info)}`);

    // the other entry points map onto getDisplayMedia
    const chrome = await pub.eval(() => new Promise((resolve) => window.zg.startScreenShotChrome((suc, s) => resolve({ suc, v: s.getVideoTracks().length, a: s.getAudioTracks().length }))));
    assert.deepEqual(chrome, { suc: true, v: 1, a: 0 });
    const firefox = await pub.eval(() => new Promise((resolve) => window.zg.startScreenShotFirFox('screen', true, (suc, s) => resolve({ suc, v: s.getVideoTracks().length, a: s.getAudioTracks().length }))));
    assert.deepEqual(firefox, { suc: true, v: 1, a: 1 });
    const bad = await pub.eval(() => ({
      source: window.zg.startScreenShotFirFox('desktop', false, () => undefined),
      noCallback: window.zg.startScreenSharing({}, false),
      frameRate: window.zg.startScreenSharing({ frameRate: 'fast' }, false, () => undefined),
    }));
    assert.deepEqual(bad, { source: false, noCallback: false, frameRate: false });

    // the browser ends a share (its "Stop sharing" button fires `ended` on the track)
    await pub.eval(() => window.__share.getVideoTracks()[0].dispatchEvent(new Event('ended')));
    await pub.waitEvent('onScreenSharingEnded');
    assert.equal((await pub.events('onScreenSharingEnded')).length, 1);
    // stopScreenShot ends the two others, without the callback
    assert.equal(await pub.invoke('stopScreenShot'), true);
    assert.equal(await pub.invoke('stopScreenShot'), false, 'nothing shared any more');
    await sleep(300);
    assert.equal((await pub.events('onScreenSharingEnded')).length, 1);
  });
});
