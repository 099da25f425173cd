// Media on the real server and Chromium's fake camera/microphone: preview, publish (H.264, VP8), play (all,
// audio only), camera/mic status, stop, quality callbacks, video size, retries after a cut (server restart on the
// same ports), relay-only ICE through the embedded TURN relay, error codes, logout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserSuite, openClient, sleep, startServer } from './harness.mjs';
import { assertFlowing, assertVideoShows, installMedia, preview, stats } from './media-helpers.mjs';

describe('media', () => {
  const suite = browserSuite();

  async function client(idName, opts = {}) {
    const c = await openClient(suite.browser.context, suite.server, { idName, nickName: idName.toUpperCase(), ...opts });
    await installMedia(c);
    suite.clients.push(c);
    return c;
  }

  /** Publisher `pub` (previewing in #local) and player `sub`, both logged in to `room`. */
  async function pair(room, { pubConfig, subConfig } = {}) {
    const pub = await client(`${room}-pub`, pubConfig ? { config: pubConfig } : {});
    const sub = await client(`${room}-sub`, subConfig ? { config: subConfig } : {});
    assert.equal((await pub.login(room, 1)).ok, true);
    assert.equal((await sub.login(room, 2)).ok, true);
    const p = await preview(pub, 'local');
    assert.deepEqual(p, { ok: true });
    return { pub, sub };
  }

  async function publish(pub, streamId, option) {
    const r = await pub.eval(({ streamId, option }) => window.zg.startPublishingStream(streamId, window.__m.el('local'), 'extra', option), { streamId, option });
    assert.equal(r, true);
    const ev = await pub.waitEvent('onPublishStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId, 0]);
  }

  async function play(sub, streamId, option, elId = 'remote') {
    const r = await sub.eval(({ streamId, option, elId }) => window.zg.startPlayingStream(streamId, window.__m.el(elId, false), undefined, option), { streamId, option, elId });
    assert.equal(r, true);
    const ev = await sub.waitEvent('onPlayStateUpdate', `args[1] === ${JSON.stringify(streamId)}`, 20000);
    assert.deepEqual(ev.args, [0, streamId]);
  }

  for (const codec of ['H264', 'VP8']) {
    it(`publish and play with ${codec}: frames and audio arrive, video size, quality callbacks at the set cycle`, async () => {
      suite.server = await startServer();
      const { pub, sub } = await pair(`room-${codec.toLowerCase()}`);
      assert.equal(await pub.invoke('setQualityMonitorCycle', 1000), true);
      assert.equal(await sub.invoke('setQualityMonitorCycle', 1000), true);
      const sid = `stream-${codec}`;
      const t0 = Date.now();
      await publish(pub, sid, codec === 'H264' ? undefined : { videoDecodeType: codec });
      await sub.waitEvent('onStreamUpdated', `args[0] === 0 && args[1].some(s => s.stream_id === '${sid}' && s.extra_info === 'extra')`);
      await play(sub, sid);
      const info = await assertVideoShows(sub, 'remote');
      assert.ok(info.w > 0 && info.h > 0, JSON.stringify(info));
      const s = await assertFlowing(sub, sid);
      assert.equal(s.video.codec, `video/${codec}`);
      assert.equal(s.audio.codec, 'audio/opus');
      // Lip sync: both received tracks come from one media stream, named after the played stream.
      const sync = await sub.eval((id) => {
        const ep = window.zg._media.players.get(id);
        const msids = ep.pc.remoteDescription.sdp.split('\r\n').filter((l) => l.startsWith('a=msid:'));
        return { msids, kinds: document.getElementById('remote').srcObject.getTracks().map((t) => t.kind).sort() };
      }, sid);
      assert.deepEqual(sync.msids, [`a=msid:${sid} audio`, `a=msid:${sid} video`]);
      assert.deepEqual(sync.kinds, ['audio', 'video']);
      const size = await sub.waitEvent('onVideoSizeChanged', `args[0] === '${sid}'`);
      assert.ok(size.args[1] > 0 && size.args[2] > 0, JSON.stringify(size.args));
      const pubStats = await stats(pub, 'publish', sid);
      assert.equal(pubStats.video.codec, `video/${codec}`);

      // quality: first report after two cycles, then one per cycle
      await sleep(4500);
      const pq = await pub.events('onPublishQualityUpdate');
      const plq = await sub.events('onPlayQualityUpdate');
      assert.ok(pq.length >= 2, `publish quality reports: ${pq.length}`);
      assert.ok(plq.length >= 2, `play quality reports: ${plq.length}`);
      assert.ok(pq[0].at - t0 >= 1900, 'first publish report only after two cycles');
      for (const list of [pq, plq]) {
        const gaps = list.slice(1).map((e, i) => e.at - list[i].at);
        for (const g of gaps) assert.ok(g > 700 && g < 1600, `cycle gap ${g} ms`);
      }
      const q = pq[pq.length - 1].args[1];
      assert.equal(pq[pq.length - 1].args[0], sid);
      for (const k of ['videoBitrate', 'audioBitrate', 'videoFPS', 'videoTransferFPS']) assert.equal(typeof q[k], 'number', k);
      assert.ok(q.videoBitrate > 20 && q.videoBitrate < 3000, `publish videoBitrate ${q.videoBitrate}`);
      assert.ok(q.audioBitrate > 5 && q.audioBitrate < 200, `publish audioBitrate ${q.audioBitrate}`);
      assert.ok(q.videoFPS > 3 && q.videoFPS <= 35, `publish videoFPS ${q.videoFPS}`);
      assert.ok(q.frameWidth > 0, 'publish frameWidth');
      const r = plq[plq.length - 1].args[1];
      for (const k of ['videoBitrate', 'audioBitrate', 'videoFPS', 'frameHeight', 'frameWidth', 'videoTransferFPS']) assert.equal(typeof r[k], 'number', k);
      assert.ok(r.videoBitrate > 20, `play videoBitrate ${r.videoBitrate}`);
      assert.ok(r.audioBitrate > 5, `play audioBitrate ${r.audioBitrate}`);
      assert.ok(r.videoFPS > 3 && r.videoFPS <= 35, `play videoFPS ${r.videoFPS}`);
      assert.ok(r.frameWidth > 0 && r.frameHeight > 0, 'play frame size');
      assert.ok([2, 3, 4, 5].includes(r.videoQuality), `videoQuality ${r.videoQuality}`);
    });
  }

  it('audio-only play (playType audio): no video section, audio bytes rise, no video size', async () => {
    suite.server = await startServer();
    const { pub, sub } = await pair('room-audio');
    await publish(pub, 'a1');
    await play(sub, 'a1', { playType: 'audio' });
    const s = await assertFlowing(sub, 'a1', { video: false });
    assert.equal(s.video, null);
    assert.deepEqual(s.transceivers.map((t) => t.kind), ['audio']);
    await sleep(500);
    assert.equal((await sub.events('onVideoSizeChanged')).length, 0);
  });

  it('camera and microphone status reach players (also a late player); stopPublishingStream ends the stream', async () => {
    suite.server = await startServer();
    const { pub, sub } = await pair('room-status');
    await publish(pub, 'st');
    await play(sub, 'st');
    await assertFlowing(sub, 'st');
    assert.equal(await pub.eval(() => window.zg.enableCamera(window.__m.el('local'), false)), true);
    await sub.waitEvent('onRemoteCameraStatusUpdate', "args[0] === 'st' && args[1] === 2");
    assert.equal(await pub.eval(() => window.zg.enableMicrophone(window.__m.el('local'), false)), true);
    await sub.waitEvent('onRemoteMicStatusUpdate', "args[0] === 'st' && args[1] === 2");
    assert.equal(await pub.eval(() => window.__m.el('local').srcObject.getVideoTracks()[0].enabled), false);

    // a player joining now learns the current status at once
    const late = await client('room-status-late');
    assert.equal((await late.login('room-status', 2)).ok, true);
    await play(late, 'st');
    await late.waitEvent('onRemoteCameraStatusUpdate', "args[0] === 'st' && args[1] === 2");
    await late.waitEvent('onRemoteMicStatusUpdate', "args[0] === 'st' && args[1] === 2");

    assert.equal(await pub.eval(() => window.zg.enableCamera(window.__m.el('local'), true)), true);
    await sub.waitEvent('onRemoteCameraStatusUpdate', "args[0] === 'st' && args[1] === 0");
    await late.waitEvent('onRemoteCameraStatusUpdate', "args[0] === 'st' && args[1] === 0");

    assert.equal(await pub.invoke('stopPublishingStream', 'st'), true);
    await sub.waitEvent('onStreamUpdated', "args[0] === 1 && args[1].some(s => s.stream_id === 'st')");
    // the preview stops with the stream (reference §1.14)
    assert.equal(await pub.eval(() => window.__m.el('local').srcObject), null);
    assert.equal(await pub.invoke('stopPublishingStream', 'st'), false);
    assert.equal(await sub.invoke('stopPlayingStream', 'st'), true);
    assert.equal(await sub.eval(() => window.__m.el('remote').srcObject), null);
  });

  it('a media cut (server restarted on the same ports): retry (2), then start (0) and frames again', async () => {
    suite.server = await startServer();
    const { rtc, turn } = suite.server.ready;
    const http = suite.server.http;
    const { pub, sub } = await pair('room-cut');
    await publish(pub, 'cut');
    await play(sub, 'cut');
    await assertFlowing(sub, 'cut');

    await suite.server.stop();
    suite.server = await startServer({ listen: http, env: { LIVEROOM_RTC__LISTEN: rtc, ...(turn ? { LIVEROOM_TURN__LISTEN: turn } : {}) } });
    await pub.waitEvent('onPublishStateUpdate', "args[0] === 2 && args[1] === 'cut'", 20000);
    await sub.waitEvent('onPlayStateUpdate', "args[0] === 2 && args[1] === 'cut'", 20000);
    const pubStarts = () => pub.events('onPublishStateUpdate').then((l) => l.filter((e) => e.args[0] === 0).length);
    const subStarts = () => sub.events('onPlayStateUpdate').then((l) => l.filter((e) => e.args[0] === 0).length);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && ((await pubStarts()) < 2 || (await subStarts()) < 2)) await sleep(200);
    assert.equal(await pubStarts(), 2, JSON.stringify(await pub.events('onPublishStateUpdate')));
    assert.equal(await subStarts(), 2, JSON.stringify(await sub.events('onPlayStateUpdate')));
    await assertFlowing(sub, 'cut');
    assert.equal((await sub.events('onPlayStateUpdate')).filter((e) => e.args[0] === 1).length, 0);
    // the stream is listed in the room again (re-announced after the room's re-login)
    await sub.waitEvent('onStreamUpdated', "args[0] === 0 && args[1].some(s => s.stream_id === 'cut')", 20000);
  });

  it('a media outage with the sockets kept open (server frozen 14 s): ICE-disconnected retry (2), then start (0)', async () => {
    // A room heartbeat longer than the outage, so only the media path notices.
    suite.server = await startServer({ env: { LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS: '10000', LIVEROOM_ROOM__SESSION_TIMEOUT_MS: '60000' } });
    const { pub, sub } = await pair('room-freeze');
    await publish(pub, 'fz');
    await play(sub, 'fz');
    await assertFlowing(sub, 'fz');
    suite.server.proc.kill('SIGSTOP');
    try {
      // Chromium reports `disconnected` after ~6 s without answers; the SDK gives it 4 s more.
      await pub.waitEvent('onPublishStateUpdate', "args[0] === 2 && args[1] === 'fz'", 14000);
      await sub.waitEvent('onPlayStateUpdate', "args[0] === 2 && args[1] === 'fz'", 14000);
    } finally {
      suite.server.proc.kill('SIGCONT');
    }
    const starts = async (c, name) => (await c.events(name)).filter((e) => e.args[0] === 0).length;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && ((await starts(pub, 'onPublishStateUpdate')) < 2 || (await starts(sub, 'onPlayStateUpdate')) < 2)) await sleep(200);
    assert.equal(await starts(pub, 'onPublishStateUpdate'), 2, JSON.stringify(await pub.events('onPublishStateUpdate')));
    assert.equal(await starts(sub, 'onPlayStateUpdate'), 2, JSON.stringify(await sub.events('onPlayStateUpdate')));
    await assertFlowing(sub, 'fz');
    assert.equal((await sub.events('onDisconnect')).length, 0);
  });

  it('relay-only ICE through the TURN relay: playback works and the selected pair is relay', async (t) => {
    suite.server = await startServer();
    if (!suite.server.ready.turn) {
      t.skip('this server gives no TURN relay');
      return;
    }
    const { pub, sub } = await pair('room-relay');
    await publish(pub, 'rl', { iceTransportPolicy: 'relay' });
    await play(sub, 'rl', { iceTransportPolicy: 'relay' });
    await assertFlowing(sub, 'rl');
    const s = await stats(sub, 'play', 'rl');
    assert.equal(s.pair.local, 'relay', JSON.stringify(s.pair));
    const p = await stats(pub, 'publish', 'rl');
    assert.equal(p.pair.local, 'relay', JSON.stringify(p.pair));
    const conf = await sub.eval(() => window.zg._media.players.get('rl').pc.getConfiguration());
    assert.equal(conf.iceTransportPolicy, 'relay');
    assert.match(conf.iceServers[0].urls[0], /^turn:/);
  });

  it('errors: dispatch refused (media off), session refused (stream auth), invalid calls return false', async () => {
    suite.server = await startServer({ env: { LIVEROOM_RTC__LISTEN: '' } });
    const { pub, sub } = await pair('room-err');
    assert.equal(await pub.eval(() => window.zg.startPublishingStream('e1', window.__m.el('local'))), true);
    const ev = await pub.waitEvent('onPublishStateUpdate', "args[1] === 'e1'");
    assert.equal(ev.args[0], 1);
    assert.equal(ev.args[2].code, 'ZegoPublish.Error.Dispatch');
    assert.equal(await pub.invoke('stopPublishingStream', 'e1'), false, 'the SDK stopped the stream itself');
    assert.equal(await sub.eval(() => window.zg.startPlayingStream('e1', window.__m.el('remote'))), true);
    const pe = await sub.waitEvent('onPlayStateUpdate', "args[1] === 'e1'");
    assert.equal(pe.args[0], 1);
    assert.equal(pe.args[2].code, 'ZegoPlay.Error.Dispatch');

    // invalid calls
    const bad = await pub.eval(() => {
      const el = window.__m.el('local');
      const other = window.__m.el('nopreview');
      return [
        window.zg.startPublishingStream('', el),
        window.zg.startPublishingStream('x', other),
        window.zg.startPublishingStream('x', el, 'e', { videoDecodeType: 'AV1' }),
        window.zg.startPlayingStream('x', el, undefined, { playType: 'both' }),
        window.zg.setQualityMonitorCycle(999),
        window.zg.startPreview(el, { audioBitRate: 32000 }, () => 0, () => 0),
        window.zg.startPreview(el, { audio: true, video: true }, () => 0, () => 0), // second preview on the element
        window.zg.stopPreview(other),
        window.zg.enableCamera(other, false),
        window.zg.setCustomSignalUrl('http://x'),
      ];
    });
    assert.deepEqual(bad, [false, false, false, false, false, false, false, false, false, false]);
    await suite.server.stop();

    suite.server = await startServer({ env: { LIVEROOM_RTC__STREAM_AUTH: 'true' } });
    const c = await client('room-auth-sub');
    assert.equal((await c.login('room-auth', 2)).ok, true);
    assert.equal(await c.eval(() => window.zg.startPlayingStream('auth1', window.__m.el('remote'))), true);
    const se = await c.waitEvent('onPlayStateUpdate', "args[1] === 'auth1'");
    assert.equal(se.args[0], 1);
    assert.equal(se.args[2].code, 'ZegoPlay.Error.Session');
  });

  it('wire: webrtc_url with cdnUrl, media login with the room token, session fields; setCustomSignalUrl skips dispatch', async () => {
    suite.server = await startServer();
    const pub = await client('wire-pub');
    const sub = await client('wire-sub');
    const frames = { pub: [], sub: [] };
    for (const [name, c] of [['pub', pub], ['sub', sub]]) {
      c.page.on('websocket', (ws) => {
        ws.on('framesent', (f) => {
          try {
            frames[name].push({ url: ws.url(), ...JSON.parse(String(f.payload)) });
          } catch {
            /* not JSON */
          }
        });
      });
    }
    assert.equal((await pub.login('room-wire', 1)).ok, true);
    assert.equal((await sub.login('room-wire', 2)).ok, true);
    assert.deepEqual(await preview(pub, 'local'), { ok: true });
    await publish(pub, 'w1', { cdnUrl: 'rtmp://cdn.example/live/w1', streamParams: 'zg_expired=1&zg_nonce=2&zg_token=3' });
    const cmd = (list, c) => list.filter((f) => f.header && f.header.cmd === c);
    const [dispatch] = cmd(frames.pub, 'webrtc_url');
    assert.deepEqual(dispatch.body, { stream_id: 'w1', ptype: 'push', signals: [], header_kvs: [{ key: 'grpc-metadata-push', value: 'rtmp://cdn.example/live/w1' }] });
    const [login] = cmd(frames.pub, 'LoginReq');
    assert.match(login.url, /\/media$/);
    assert.deepEqual(
      { version: login.header.version, appid: login.header.appid, user_id: login.header.user_id, session_id: login.header.session_id },
      { version: '1.0.1', appid: String(login.header.appid), user_id: 'wire-pub', session_id: 0 },
    );
    assert.equal(typeof login.header.appid, 'string');
    const roomLogin = cmd(frames.pub, 'login')[0];
    assert.equal(login.body.token, roomLogin.body.token);
    assert.equal(login.body.roomid, 'room-wire');
    assert.equal(login.body.sdkversion, '1.12.2');
    const [cs] = cmd(frames.pub, 'CreateSessionReq');
    assert.equal(cs.body.type, 0);
    assert.equal(cs.body.stream_id, 'w1');
    assert.equal(cs.body.strAuthParam, 'zg_expired=1&zg_nonce=2&zg_token=3');
    assert.equal(cs.body.sdk_version, 1122);
    const [desc] = cmd(frames.pub, 'MediaDescReq');
    assert.equal(desc.body.type, 0);
    assert.match(desc.body.sdp, /a=sendonly/);
    assert.doesNotMatch(desc.body.sdp, /a=rtpmap:\d+ (VP8|VP9|AV1)\//);
    assert.match(desc.body.sdp, /b=AS:800/);
    assert.equal(desc.body.width, 640);
    assert.ok(cmd(frames.pub, 'StreamStatusNotify').length >= 1);

    // a player with the custom signal URL: no dispatch
    const mediaUrl = login.url;
    assert.equal(await sub.invoke('setCustomSignalUrl', mediaUrl), true);
    await play(sub, 'w1', { videoDecodeType: 'H264' });
    assert.equal(cmd(frames.sub, 'webrtc_url').length, 0);
    const [playDesc] = cmd(frames.sub, 'MediaDescReq');
    assert.match(playDesc.body.sdp, /a=recvonly/);
    assert.doesNotMatch(playDesc.body.sdp, /a=rtpmap:\d+ VP8\//);
    await assertFlowing(sub, 'w1');
    // the audio switch reaches the publisher's sender
    const mic = await pub.eval(() => new Promise((resolve) => window.zg.enumDevices((i) => resolve(i.microphones[i.microphones.length - 1].deviceId), () => resolve(null))));
    const sw = await pub.eval((mic) => new Promise((resolve) => window.zg.switchDevice('audio', window.__m.el('local'), mic, () => resolve(true), (e) => resolve(e))), mic);
    assert.equal(sw, true);
    const same = await pub.eval(() => {
      const track = window.__m.el('local').srcObject.getAudioTracks()[0];
      const sender = window.zg._media.publishers.get('w1').pc.getSenders().find((s) => s.track && s.track.kind === 'audio');
      return sender.track === track;
    });
    assert.equal(same, true);
    // audio outputs
    assert.equal(await sub.invoke('setPlayAudioOutput', 'w1', ''), true);
    assert.equal(await pub.eval(() => window.zg.setLocalAudioOutput(window.__m.el('local'), null)), true);
    assert.equal(await sub.invoke('setPlayAudioOutput', 'nope', ''), false);
  });

  it('not logged in: publish and play return false; logout stops publishers and players', async () => {
    suite.server = await startServer();
    const { pub, sub } = await pair('room-logout');
    const c = await client('room-logout-x');
    assert.equal(await c.eval(() => window.zg.startPlayingStream('lo', window.__m.el('remote'))), false);
    await publish(pub, 'lo');
    await play(sub, 'lo');
    await assertFlowing(sub, 'lo');
    assert.equal(await sub.invoke('logout'), true);
    assert.equal(await sub.eval(() => window.zg._media.players.size), 0);
    assert.equal(await sub.eval(() => window.__m.el('remote').srcObject), null);
    assert.equal(await pub.invoke('logout'), true);
    assert.equal(await pub.eval(() => window.zg._media.publishers.size), 0);
    // the preview stays after logout
    assert.notEqual(await pub.eval(() => window.__m.el('local').srcObject), null);
    assert.equal(await pub.eval(() => window.zg.startPublishingStream('lo2', window.__m.el('local'))), false);
  });

  it('devices and preview options: enumDevices, presets, horizontal, constraints, switchDevice, external stream', async () => {
    suite.server = await startServer();
    const c = await client('devices');
    const info = await c.eval(() => new Promise((resolve) => window.zg.enumDevices(resolve, (e) => resolve({ error: String(e) }))));
    assert.ok(Array.isArray(info.cameras) && info.cameras.length >= 1, JSON.stringify(info));
    assert.ok(Array.isArray(info.microphones) && info.microphones.length >= 1);
    assert.ok(Array.isArray(info.speakers));
    for (const d of [...info.cameras, ...info.microphones]) assert.equal(typeof d.deviceId, 'string');
    // static too (reference §1.6: no ZegoClient object needed), the same lists
    const fromClass = await c.eval(() => new Promise((resolve) => window.ZegoClient.enumDevices(resolve, (e) => resolve({ error: String(e) }))));
    assert.deepEqual(fromClass, info);

    const settings = (id) => c.eval((id) => {
      const s = window.__m.el(id).srcObject;
      return { v: s.getVideoTracks().map((t) => t.getSettings()), a: s.getAudioTracks().map((t) => t.getSettings()) };
    }, id);
    // the fake camera is shared by a page's captures and only scales down: the largest first
    assert.deepEqual(await preview(c, 'q3h', { audio: false, video: true, videoQuality: 3, horizontal: true }), { ok: true });
    let s = await settings('q3h');
    assert.deepEqual([s.v[0].width, s.v[0].height, s.v[0].frameRate], [1280, 720, 20]);
    assert.deepEqual(await preview(c, 'q1', { audio: false, video: true, videoQuality: 1 }), { ok: true });
    s = await settings('q1');
    assert.equal(s.a.length, 0);
    assert.deepEqual([s.v[0].width, s.v[0].height, s.v[0].frameRate], [240, 320, 15]);
    assert.deepEqual(await preview(c, 'q4', { audio: true, video: true, videoQuality: 4, width: 320, height: 180, frameRate: 10, bitRate: 200, echoCancellation: false, noiseSuppression: false, audioBitRate: 64000 }), { ok: true });
    s = await settings('q4');
    assert.deepEqual([s.v[0].width, s.v[0].height, s.v[0].frameRate], [320, 180, 10]);
    assert.equal(s.a[0].echoCancellation, false);
    assert.equal(s.a[0].noiseSuppression, false);
    const params = await c.eval(() => window.zg._media.previews.get(window.__m.el('q4')).params);
    assert.deepEqual(params, { width: 320, height: 180, frameRate: 10, bitRate: 200, audioBitRate: 64000 });
    // a camera id that does not exist: the DOMException name
    assert.deepEqual(await preview(c, 'bad', { audio: false, video: true, videoInput: 'no-such-camera' }), { ok: false, reason: 'OverconstrainedError' });
    // switchDevice to another microphone
    const mic = info.microphones[info.microphones.length - 1].deviceId;
    const sw = await c.eval((mic) => new Promise((resolve) => {
      const ok = window.zg.switchDevice('audio', window.__m.el('q4'), mic, () => resolve({ ok: true }), (e) => resolve({ ok: false, e }));
      if (!ok) resolve({ ok: false, returned: false });
    }), mic);
    assert.deepEqual(sw, { ok: true });
    s = await settings('q4');
    assert.equal(s.a.length, 1);
    assert.equal(s.a[0].deviceId, mic);
    // external MediaStream
    const ext = await c.eval(() => new Promise((resolve) => {
      const canvas = document.createElement('canvas');
      canvas.width = 160;
      canvas.height = 120;
      const stream = canvas.captureStream(10);
      const v = window.__m.el('ext');
      window.zg.startPreview(v, { externalMediaStream: stream, width: 160, height: 120, frameRate: 10, bitrate: 150 }, () => resolve({ ok: v.srcObject === stream }), (e) => resolve({ ok: false, e }));
    }));
    assert.deepEqual(ext, { ok: true });
    // externalCapture: the element's own playback
    const cap = await c.eval(() => new Promise((resolve) => {
      const canvas = document.createElement('canvas');
      const ctx = canvas.getContext('2d');
      setInterval(() => ctx.fillRect(Math.random() * 100, 0, 10, 10), 50);
      const v = window.__m.el('cap');
      v.srcObject = canvas.captureStream(10);
      v.play().then(() => {
        window.zg.startPreview(v, { externalCapture: true, width: 300, height: 150, frameRate: 10, bitrate: 100 }, () => {
          const p = window.zg._media.previews.get(v);
          resolve({ ok: true, video: p.stream.getVideoTracks().length, params: p.params });
        }, (e) => resolve({ ok: false, e }));
      });
    }));
    assert.deepEqual(cap, { ok: true, video: 1, params: { width: 300, height: 150, frameRate: 10, bitRate: 100, audioBitRate: 48000 } });
    assert.equal(await c.invoke('stopPreview', null), false);
    assert.equal(await c.eval(() => window.zg.stopPreview(window.__m.el('q1'))), true);
    assert.equal(await c.eval(() => window.__m.el('q1').srcObject), null);
    // static helpers
    const h264 = await c.eval(() => new Promise((resolve) => window.ZegoClient.isSupportH264(resolve, () => resolve('error'))));
    assert.equal(h264, true);
    const det = await c.eval(() => new Promise((resolve) => window.ZegoClient.supportDetection(resolve, () => resolve('error'))));
    assert.deepEqual(det, { webRtc: true, capture: true, screenSharing: true, videoDecodeType: { H264: true, VP8: true } });
  });
});
