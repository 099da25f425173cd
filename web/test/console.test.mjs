// The demo console end to end: the real server serves the console (embedded in the binary) and the SDK; two
// Chromium pages log in through the page's form, one goes live, the other plays it (WebRTC, and over HTTP-FLV with
// mpegts.js), they chat, ask to join live, signal, mix their streams on the server, and the layout is checked at
// laptop and phone widths. Screenshots go to web/test-output/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openConsole, outputPath, sleep, startServer } from './harness.mjs';

const ROOM = `demo-${Date.now().toString(36)}`;
const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

let server;
let browser;
let alice; // anchor, laptop width
let bob; // audience, laptop width (phone width at the end)

/** Picks an option of a segmented control (a radio inside its label) the way a user does: on its label. */
async function choose(page, name, value) {
  await page.click(`label:has(> input[name="${name}"][value="${value}"])`);
  assert.equal(await page.isChecked(`input[name="${name}"][value="${value}"]`), true, `${name}=${value}`);
}

async function joinRoom(p, { user, nick, role }) {
  const { page } = p;
  await page.click('.tab[data-tab="room"]');
  await page.fill('#in-room', ROOM);
  await page.fill('#in-user', user);
  await page.fill('#in-nick', nick);
  await choose(page, 'role', role);
  await page.click('#btn-join');
  await page.waitForFunction(() => document.getElementById('status-pill').dataset.state === 'online', null, { timeout: 15000 });
  const status = await page.textContent('#status-text');
  assert.match(status, new RegExp(`${nick} in “${ROOM}”`));
}

/** Video of a remote tile: size and two currentTime reads a second apart. */
async function videoProgress(page, streamId) {
  const read = () =>
    page.evaluate((id) => {
      const v = document.querySelector(`.tile-remote[data-stream="${id}"] video`);
      return v ? { w: v.videoWidth, h: v.videoHeight, t: v.currentTime, paused: v.paused, ready: v.readyState } : null;
    }, streamId);
  const a = await read();
  await sleep(1200);
  const b = await read();
  return { a, b };
}

async function waitVideoFrames(page, streamId) {
  await page.waitForFunction(
    (id) => {
      const v = document.querySelector(`.tile-remote[data-stream="${id}"] video`);
      return v && v.videoWidth > 0 && v.currentTime > 0;
    },
    streamId,
    { timeout: 30000, polling: 200 },
  );
  const { a, b } = await videoProgress(page, streamId);
  assert.ok(a.w > 0 && a.h > 0, `video has a size: ${JSON.stringify(a)}`);
  assert.ok(b.t > a.t, `currentTime advances: ${a.t} → ${b.t}`);
  assert.equal(b.paused, false);
}

/** The WebRTC tile's video keeps presenting new frames (currentTime of a MediaStream advances even when frozen). */
async function assertTileFrames(page, streamId) {
  const frames = () =>
    page.evaluate((id) => document.querySelector(`.tile-remote[data-stream="${id}"] video`).getVideoPlaybackQuality().totalVideoFrames, streamId);
  const a = await frames();
  let b = a;
  for (let i = 0; i < 20 && b < a + 10; i++) {
    await sleep(250);
    b = await frames();
  }
  assert.ok(b >= a + 10, `${streamId}: the WebRTC tile shows new frames (${a} → ${b})`);
}

/** Toasts cover part of the page: screenshots are taken without them. */
async function clearToasts(page) {
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await sleep(300);
}

function assertNoProblems(p, name) {
  const bad = p.problems.filter((x) => !/net::ERR_ABORTED/.test(x));
  assert.deepEqual(bad, [], `${name}: page errors or external requests`);
}

describe('demo console', { timeout: 180000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    if (process.env.LIVEROOM_TEST_VERBOSE) {
      for (const [n, p] of [['alice', alice], ['bob', bob]]) if (p) console.log(`--- ${n} console\n${p.consoleLines.join('\n')}`);
    }
    await browser?.close();
    await server?.stop();
  });

  it('serves the console and its files from the binary, and the SDK', async () => {
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /text\/html/);
    const html = await index.text();
    assert.match(html, /<title>Liveroom console<\/title>/);
    for (const [path, type] of [['/console/console.js', /javascript/], ['/console/console.css', /text\/css/], ['/console/favicon.svg', /svg/], ['/console/mpegts.min.js', /javascript/], ['/sdk/zego-client.js', /javascript/]]) {
      const r = await fetch(`http://${server.http}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type'), type, path);
    }
    // No external resources: every src/href of the page is on this server.
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(m[1].startsWith('/'), `local resource: ${m[1]}`);
  });

  it('shows readable errors (an empty room ID) and logs two users in through the form', async () => {
    alice = await openConsole(browser.context, server, { viewport: LAPTOP });
    bob = await openConsole(browser.context, server, { viewport: LAPTOP });

    await alice.page.screenshot({ animations: 'disabled', path: outputPath('console-welcome.png') });
    // A new user's first mistake is explained on the page, not only in the devtools console.
    await alice.page.fill('#in-room', '');
    await alice.page.click('#btn-join');
    await alice.page.waitForSelector('.toast.error >> text=Enter a room ID', { timeout: 5000 });
    assert.match(await alice.page.textContent('#log-list'), /Cannot join: Enter a room ID/);

    await joinRoom(alice, { user: 'alice', nick: 'Alice', role: 1 });
    await joinRoom(bob, { user: 'bob', nick: 'Bob', role: 2 });

    // Users and the online count on both sides.
    await alice.page.click('.tab[data-tab="people"]');
    await alice.page.waitForSelector('#people-list [data-user="bob"]', { timeout: 10000 });
    await bob.page.click('.tab[data-tab="people"]');
    await bob.page.waitForSelector('#people-list [data-user="alice"]', { timeout: 10000 });
    await alice.page.waitForFunction(() => document.getElementById('online-count').textContent === '2', null, { timeout: 15000 });
    assert.match(await bob.page.textContent('#people-list [data-user="alice"]'), /Anchor/);
    assert.equal(await bob.page.textContent('#ri-anchor'), 'Alice (alice)');
  });

  it('Alice previews and goes live (VP8); Bob plays her stream with live quality numbers', async () => {
    const devices = await alice.page.$$eval('#dev-camera option', (os) => os.length);
    assert.ok(devices >= 1, 'camera list');
    await alice.page.click('#btn-preview');
    await alice.page.waitForFunction(() => document.getElementById('tile-local').dataset.state === 'preview', null, { timeout: 15000 });
    await alice.page.waitForFunction(() => document.getElementById('local-video').videoWidth > 0, null, { timeout: 10000 });
    assert.equal(await alice.page.isEnabled('#btn-camera'), true);

    await alice.page.click('.tab[data-tab="media"]');
    await alice.page.fill('#pub-extra', 'Morning show');
    await choose(alice.page, 'codec', 'VP8');
    await alice.page.click('#btn-publish');
    await alice.page.waitForFunction(() => document.getElementById('tile-local').dataset.state === 'live', null, { timeout: 30000 });
    assert.match(await alice.page.textContent('#local-name'), /alice-cam · VP8/);

    await bob.page.waitForSelector('.tile-remote[data-stream="alice-cam"]', { timeout: 15000 });
    await waitVideoFrames(bob.page, 'alice-cam');
    assert.equal(await bob.page.textContent('.tile-remote[data-stream="alice-cam"] .tile-extra'), 'Morning show');
    // onPlayQualityUpdate every 2 s: bitrate, fps, resolution, round-trip time.
    await bob.page.waitForFunction(
      () => /kbps|Mbps/.test(document.querySelector('.tile-remote[data-stream="alice-cam"] .stats').textContent),
      null,
      { timeout: 20000 },
    );
    const stats = await bob.page.textContent('.tile-remote[data-stream="alice-cam"] .stats');
    assert.match(stats, /\d+(\.\d+)? (kbps|Mbps) · \d+ fps · \d+×\d+ · RTT \d+ ms/);
    // Alice sees her own publish quality.
    await alice.page.waitForFunction(() => /fps/.test(document.getElementById('local-stats').textContent), null, { timeout: 20000 });
  });

  it('Bob watches Alice\'s stream over HTTP-FLV (the live-CDN path): mpegts.js plays it in a dialog, URLs to copy', async () => {
    const tile = '.tile-remote[data-stream="alice-cam"]';
    const flvUrl = `http://${server.http}/live/1/alice-cam.flv`;
    await assertTileFrames(bob.page, 'alice-cam');
    assert.equal(await bob.page.isVisible(`${tile} .act-flv`), true, 'the tile offers FLV');
    assert.equal(await bob.page.evaluate(() => typeof window.mpegts), 'undefined', 'mpegts.js is loaded only when needed');
    await bob.page.click(`${tile} .act-flv`);
    await bob.page.waitForSelector('#flv-dialog[open]', { timeout: 5000 });
    try {
      assert.equal(await bob.page.textContent('#flv-kind'), 'HTTP-FLV');
      assert.match(await bob.page.textContent('#flv-title'), /Alice · alice-cam/);
      assert.equal(await bob.page.inputValue('#flv-url'), flvUrl);
      assert.equal(await bob.page.inputValue('#hls-url'), `http://${server.http}/live/1/alice-cam.m3u8`);
      assert.equal(await bob.page.evaluate(() => window.zg.filterStreamList('alice-cam')[0]), flvUrl, 'the URL filterStreamList gives');

      // Alice published VP8: the server transcodes it to H.264 (+ AAC) for FLV. Frames keep coming, at the size the
      // WebRTC tile shows (the publisher may still be raising its resolution: wait until both agree).
      const read = () =>
        bob.page.evaluate((sel) => {
          const v = document.getElementById('flv-video');
          const w = document.querySelector(`${sel} video`);
          return {
            w: v.videoWidth,
            h: v.videoHeight,
            t: v.currentTime,
            frames: v.getVideoPlaybackQuality().totalVideoFrames,
            audio: v.webkitAudioDecodedByteCount,
            rtc: { w: w.videoWidth, h: w.videoHeight },
            state: document.getElementById('flv-state').textContent,
            stats: document.getElementById('flv-stats').textContent,
          };
        }, tile);
      await bob.page.waitForFunction(() => document.getElementById('flv-video').videoWidth > 0, null, { timeout: 30000, polling: 200 }).catch(async (e) => {
        throw new Error(`no FLV picture: ${e.message}; ${JSON.stringify(await read())}; log: ${await bob.page.textContent('#log-list')}`);
      });
      const statsLine = (r) => new RegExp(`^${r.w}×${r.h} · \\d+ fps · \\d+\\.\\d s buffered · H\\.264 \\+ AAC$`);
      const a = await read();
      let b = a;
      for (let i = 0; i < 40; i++) {
        await sleep(500);
        b = await read();
        if (b.w === b.rtc.w && b.h === b.rtc.h && b.frames >= a.frames + 15 && b.t > a.t + 1 && statsLine(b).test(b.stats)) break;
      }
      const detail = JSON.stringify({ a, b });
      assert.deepEqual([b.w, b.h], [b.rtc.w, b.rtc.h], `FLV and WebRTC show the same size: ${detail}`);
      assert.ok(b.frames >= a.frames + 15, `FLV frames advance: ${detail}`);
      assert.ok(b.t > a.t + 1, `FLV currentTime advances: ${detail}`);
      assert.ok(b.audio > a.audio, `FLV audio is decoded: ${detail}`);
      assert.equal(b.state, '', `no state over the picture: ${detail}`);
      assert.match(b.stats, statsLine(b), detail);

      // Copy buttons put the URL on the clipboard. (grantPermissions replaces the origin's permissions: without
      // camera and microphone, Chromium ends Alice's capture tracks.)
      await browser.context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], { origin: server.url });
      await bob.page.click('#flv-copy');
      await bob.page.waitForFunction(() => document.getElementById('flv-copy').textContent === 'Copied', null, { timeout: 5000 });
      assert.equal(await bob.page.evaluate(() => navigator.clipboard.readText()), flvUrl);
      await bob.page.click('#hls-copy');
      await bob.page.waitForFunction(() => document.getElementById('hls-copy').textContent === 'Copied', null, { timeout: 5000 });
      assert.match(await bob.page.evaluate(() => navigator.clipboard.readText()), /\/live\/1\/alice-cam\.m3u8$/);

      await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-flv.png') });
      await bob.page.setViewportSize(PHONE);
      await sleep(300);
      await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-flv-phone.png') });
      await bob.page.setViewportSize(LAPTOP);
    } catch (e) {
      // Later steps need the page: do not leave the dialog over it.
      await bob.page.evaluate(() => document.getElementById('flv-dialog').open && document.getElementById('flv-close').click());
      throw e;
    }

    // Closing stops the player (the page's FLV request ends); the WebRTC tile keeps playing.
    await bob.page.click('#flv-close');
    await bob.page.waitForSelector('#flv-dialog:not([open])', { state: 'attached', timeout: 5000 });
    const emptied = await bob.page.evaluate(() => {
      const v = document.getElementById('flv-video');
      return { src: v.getAttribute('src'), ready: v.readyState };
    });
    assert.deepEqual(emptied, { src: null, ready: 0 }, 'the FLV video is emptied');
    await waitVideoFrames(bob.page, 'alice-cam');
    await assertTileFrames(bob.page, 'alice-cam');
  });

  it('camera and microphone toggles show on the player; extra info updates', async () => {
    const tile = '.tile-remote[data-stream="alice-cam"]';
    await alice.page.click('#btn-camera');
    await bob.page.waitForFunction((sel) => document.querySelector(sel).dataset.camera === 'off', tile, { timeout: 15000 });
    assert.equal(await bob.page.isVisible(`${tile} .tile-placeholder`), true);
    await alice.page.click('#btn-mic');
    await bob.page.waitForFunction((sel) => document.querySelectorAll(`${sel} .tile-icons .ico`).length === 2, tile, { timeout: 15000 });
    await alice.page.click('#btn-camera');
    await alice.page.click('#btn-mic');
    await bob.page.waitForFunction((sel) => document.querySelector(sel).dataset.camera === 'on' && document.querySelectorAll(`${sel} .tile-icons .ico`).length === 0, tile, {
      timeout: 15000,
    });

    await alice.page.fill('#pub-extra', 'Morning show · Q&A');
    await alice.page.click('#btn-extra');
    await bob.page.waitForFunction((sel) => document.querySelector(`${sel} .tile-extra`).textContent === 'Morning show · Q&A', tile, { timeout: 10000 });
  });

  it('room chat reaches the other page', async () => {
    await bob.page.click('.tab[data-tab="chat"]');
    await bob.page.fill('#chat-input', 'Hello from Bob, grüß dich!');
    await bob.page.click('#chat-send');
    await alice.page.waitForFunction(() => /Hello from Bob, grüß dich!/.test(document.getElementById('chat-list').textContent), null, { timeout: 10000 });
    assert.equal(await alice.page.textContent('#chat-badge'), '1', 'unread count on the Chat tab');
    await bob.page.waitForFunction(() => !document.querySelector('#chat-list li.mine.pending, #chat-list li.mine.failed'), null, { timeout: 10000 });
    // A big-room message (batched per window) shows in the same list, marked.
    await bob.page.selectOption('#chat-kind', 'big');
    await bob.page.fill('#chat-input', 'Big-room hello');
    await bob.page.click('#chat-send');
    await alice.page.waitForFunction(
      () => [...document.querySelectorAll('#chat-list li')].some((li) => /Big-room hello/.test(li.textContent) && /big room/.test(li.textContent)),
      null,
      { timeout: 15000 },
    );
    await bob.page.selectOption('#chat-kind', 'room');
    await alice.page.click('.tab[data-tab="chat"]');
    await alice.page.fill('#chat-input', 'Hi Bob, welcome to the show');
    await alice.page.press('#chat-input', 'Enter');
    await bob.page.waitForFunction(() => /welcome to the show/.test(document.getElementById('chat-list').textContent), null, { timeout: 10000 });
  });

  it('a join-live request: Alice accepts, Bob sees the result and goes live (H.264); Alice plays him', async () => {
    await bob.page.click('.tab[data-tab="signals"]');
    assert.equal(await bob.page.inputValue('#sig-target'), 'alice', 'the anchor is the default target');
    await bob.page.click('#btn-jl-request');
    const prompt = alice.page.locator('.prompt[data-kind="request"]');
    await prompt.waitFor({ timeout: 10000 });
    assert.match(await prompt.textContent(), /Bob asks to join live/);
    await alice.page.screenshot({ animations: 'disabled', path: outputPath('console-join-live-request.png') });
    await prompt.locator('button', { hasText: 'Accept' }).click();
    await bob.page.waitForSelector('#sig-feed li[data-kind="join-live-result"][data-result="accepted"]', { timeout: 10000 });
    assert.match(await bob.page.textContent('#sig-feed'), /Alice accepted your request to join live/);
    await alice.page.waitForSelector('.prompt', { state: 'detached', timeout: 5000 });

    // Bob publishes with the other codec when this browser can encode it.
    await bob.page.click('.tab[data-tab="media"]');
    const h264 = await bob.page.isEnabled('input[name="codec"][value="H264"]');
    const codec = h264 ? 'H264' : 'VP8';
    await choose(bob.page, 'codec', codec);
    await bob.page.click('#btn-publish');
    await bob.page.waitForFunction(() => document.getElementById('tile-local').dataset.state === 'live', null, { timeout: 30000 });
    await alice.page.waitForSelector('.tile-remote[data-stream="bob-cam"]', { timeout: 15000 });
    await waitVideoFrames(alice.page, 'bob-cam');
    if (!h264) console.log('# this Chromium cannot encode H.264: Bob published VP8');
  });

  it('a custom command and a reliable message reach the other page', async () => {
    await alice.page.click('.tab[data-tab="signals"]');
    await alice.page.selectOption('#sig-target', 'bob');
    await alice.page.fill('#cmd-input', '{"action":"raise-hand"}');
    await alice.page.click('#cmd-send');
    await bob.page.click('.tab[data-tab="signals"]');
    await bob.page.waitForSelector('#sig-feed li[data-kind="command"]', { timeout: 10000 });
    assert.match(await bob.page.textContent('#sig-feed li[data-kind="command"]'), /raise-hand/);

    await alice.page.fill('#rel-data', 'Question 1: which codec?');
    await alice.page.click('#rel-send');
    await bob.page.waitForFunction(() => /Question 1: which codec\?/.test(document.getElementById('sig-feed').textContent), null, { timeout: 15000 });
  });

  it('join-live end and invite: Alice ends Bob\'s co-hosting (his stream stops), then invites him back (he accepts and is live)', async () => {
    await alice.page.click('.tab[data-tab="signals"]');
    await alice.page.selectOption('#sig-target', 'bob');
    await alice.page.click('#btn-jl-end');
    await bob.page.waitForSelector('.toast >> text=Alice ended your co-hosting', { timeout: 10000 });
    await bob.page.waitForFunction(() => document.getElementById('tile-local').dataset.state !== 'live', null, { timeout: 10000 });
    await alice.page.waitForSelector('.tile-remote[data-stream="bob-cam"]', { state: 'detached', timeout: 15000 });

    await alice.page.click('#btn-jl-invite');
    const prompt = bob.page.locator('.prompt[data-kind="invite"]');
    await prompt.waitFor({ timeout: 10000 });
    assert.match(await prompt.textContent(), /Alice invites you to join live/);
    await prompt.locator('button', { hasText: 'Accept' }).click();
    await alice.page.waitForSelector('.toast >> text=Bob accepted your invitation to join live', { timeout: 10000 });
    await bob.page.waitForFunction(() => document.getElementById('tile-local').dataset.state === 'live', null, { timeout: 30000 });
    await alice.page.waitForSelector('.tile-remote[data-stream="bob-cam"]', { timeout: 15000 });
    await waitVideoFrames(alice.page, 'bob-cam');
  });

  it('Alice shares her screen as a second stream; Bob plays it; stopping removes it', async () => {
    // Chromium's fake UI flag answers getDisplayMedia with a fake screen, no picker.
    await alice.page.click('#btn-screen');
    await alice.page.waitForFunction(() => document.getElementById('tile-screen').dataset.state === 'live', null, { timeout: 30000 });
    assert.equal(await alice.page.textContent('#btn-screen-label'), 'Stop sharing');
    await bob.page.waitForSelector('.tile-remote[data-stream="alice-cam-screen"]', { timeout: 15000 });
    await waitVideoFrames(bob.page, 'alice-cam-screen');
    const size = await bob.page.evaluate(() => {
      const v = document.querySelector('.tile-remote[data-stream="alice-cam-screen"] video');
      return { w: v.videoWidth, h: v.videoHeight };
    });
    assert.ok(Math.abs(size.w / size.h - 16 / 9) < 0.05, `a 16:9 screen, got ${size.w}×${size.h}`);
    await alice.page.click('#btn-screen');
    await bob.page.waitForSelector('.tile-remote[data-stream="alice-cam-screen"]', { state: 'detached', timeout: 15000 });
    assert.equal(await alice.page.isHidden('#tile-screen'), true);
    // Her camera stream is untouched.
    await waitVideoFrames(bob.page, 'alice-cam');
  });

  it('Alice mixes her and Bob\'s streams on the server; Bob plays the mix tile; stopping removes it', async () => {
    const mixId = `mix-${ROOM}`;
    await alice.page.click('.tab[data-tab="media"]');
    // Both live streams are offered, checked.
    await alice.page.waitForSelector('#mix-inputs li[data-stream="bob-cam"]', { timeout: 15000 });
    const offered = await alice.page.$$eval('#mix-inputs input[type=checkbox]', (l) => l.map((b) => [b.value, b.checked]));
    assert.deepEqual(offered, [['alice-cam', true], ['bob-cam', true]]);
    assert.equal(await alice.page.textContent('#mix-id'), mixId);
    assert.equal(await alice.page.isHidden('#btn-mix-stop'), true);
    await alice.page.click('#btn-mix');
    await alice.page.waitForSelector('#mix-urls:not(.hidden)', { timeout: 20000 });
    const flv = await alice.page.inputValue('#mix-flv');
    const hls = await alice.page.inputValue('#mix-hls');
    assert.match(flv, new RegExp(`^http://${server.http}/live/\\d+/${mixId}\\.flv$`));
    assert.match(hls, new RegExp(`^http://${server.http}/live/\\d+/${mixId}\\.m3u8$`));
    assert.equal(await alice.page.isVisible('#mix-live'), true);
    assert.equal(await alice.page.textContent('#btn-mix'), 'Update mix');
    // The shown FLV URL serves the mix.
    const r = await fetch(flv);
    assert.equal(r.status, 200);
    const reader = r.body.getReader();
    const { value } = await reader.read();
    assert.equal(Buffer.from(value.subarray(0, 3)).toString(), 'FLV');
    await reader.cancel();

    // Bob gets the mix as one more stream of Alice's, and it plays: two cameras side by side, 640×360.
    await bob.page.waitForSelector(`.tile-remote[data-stream="${mixId}"]`, { timeout: 15000 });
    assert.equal(await bob.page.getAttribute(`.tile-remote[data-stream="${mixId}"]`, 'data-user'), 'alice');
    await waitVideoFrames(bob.page, mixId);
    await assertTileFrames(bob.page, mixId);
    const size = await bob.page.evaluate((id) => {
      const v = document.querySelector(`.tile-remote[data-stream="${id}"] video`);
      return [v.videoWidth, v.videoHeight];
    }, mixId);
    assert.deepEqual(size, [640, 360]);
    await clearToasts(alice.page);
    await clearToasts(bob.page);
    await alice.page.screenshot({ animations: 'disabled', path: outputPath('console-mix.png') });
    await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-mix-bob.png') });

    // Only Bob's stream: the running mix changes its layout, the tile keeps playing.
    await alice.page.uncheck('#mix-inputs input[value="alice-cam"]');
    await alice.page.click('#btn-mix');
    await alice.page.waitForFunction(() => document.querySelector('#mix-inputs li[data-stream="bob-cam"] .mix-cell').textContent.startsWith('● 640×360'), null, { timeout: 15000 });
    await assertTileFrames(bob.page, mixId);
    assert.equal(await bob.page.$$eval(`.tile-remote[data-stream="${mixId}"]`, (l) => l.length), 1);

    await alice.page.click('#btn-mix-stop');
    await bob.page.waitForSelector(`.tile-remote[data-stream="${mixId}"]`, { state: 'detached', timeout: 15000 });
    await alice.page.waitForSelector('#mix-urls.hidden', { state: 'attached', timeout: 5000 });
    assert.equal(await alice.page.isHidden('#btn-mix-stop'), true);
    assert.equal(await alice.page.textContent('#btn-mix'), 'Mix streams');
    await alice.page.check('#mix-inputs input[value="alice-cam"]');
    // The inputs play on.
    await waitVideoFrames(bob.page, 'alice-cam');
  });

  it('laptop screenshots, with both streams playing', async () => {
    // Let the quality numbers fill in on both sides.
    await alice.page.waitForFunction(() => /fps/.test(document.querySelector('.tile-remote[data-stream="bob-cam"] .stats').textContent), null, { timeout: 20000 });
    await alice.page.click('.tab[data-tab="log"]'); // seen: the Log tab's count of the empty-room-ID error goes away
    await alice.page.click('.tab[data-tab="chat"]');
    await bob.page.click('.tab[data-tab="people"]');
    await clearToasts(alice.page);
    await clearToasts(bob.page);
    for (const [n, p] of [['alice', alice], ['bob', bob]]) {
      const errors = await p.page.$$eval('#log-list li.error', (lis) => lis.map((li) => li.textContent));
      if (errors.length) console.log(`# ${n}'s log panel errors:\n${errors.join('\n')}`);
    }
    await alice.page.screenshot({ animations: 'disabled', path: outputPath('console-laptop.png') });
    await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-laptop-bob.png') });
    // The other panels, for a look.
    for (const tab of ['room', 'signals', 'media', 'log']) {
      await bob.page.click(`.tab[data-tab="${tab}"]`);
      await bob.page.screenshot({ animations: 'disabled', path: outputPath(`console-panel-${tab}.png`) });
    }
    await bob.page.click('.tab[data-tab="people"]');
    // Nothing overflows sideways at laptop width.
    const overflow = await alice.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
  });

  it('phone width: one column, stage above the panels, nothing wider than the screen', async () => {
    for (const width of [1024, 768, 560]) {
      await bob.page.setViewportSize({ width, height: 800 });
      const over = await bob.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(over <= 0, `no horizontal scroll at ${width}px (${over}px)`);
      if (width === 768) await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-tablet.png') });
    }
    await bob.page.setViewportSize(PHONE);
    await bob.page.click('.tab[data-tab="chat"]');
    await clearToasts(bob.page);
    const m = await bob.page.evaluate(() => {
      const r = (s) => document.querySelector(s).getBoundingClientRect();
      const wide = [...document.querySelectorAll('body *')].filter((el) => {
        const b = el.getBoundingClientRect();
        return b.width > 0 && b.right > window.innerWidth + 1 && !el.closest('.tabs') && getComputedStyle(el).position !== 'fixed';
      });
      return {
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
        stage: r('.stage'),
        side: r('.side'),
        tile: r('#tile-local'),
        dock: r('.dock'),
        wide: wide.slice(0, 5).map((el) => `${el.tagName}.${el.className}#${el.id}`),
      };
    });
    assert.ok(m.scroll <= m.inner, `no horizontal scroll at phone width (${m.scroll} > ${m.inner})`);
    assert.deepEqual(m.wide, [], 'no element wider than the screen');
    assert.ok(m.side.top >= m.stage.bottom - 1, 'the panels come below the stage');
    assert.ok(m.tile.width >= m.inner - 40, `tiles take the full width (${m.tile.width})`);
    assert.ok(m.dock.right <= m.inner, 'the dock fits');
    await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-phone.png') });
    await bob.page.screenshot({ animations: 'disabled', path: outputPath('console-phone-full.png'), fullPage: true });

    // What a new user sees first on a phone.
    const carol = await openConsole(browser.context, server, { viewport: PHONE });
    const w = await carol.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(w <= 0, `no horizontal scroll before login (${w}px)`);
    assert.equal(await carol.page.isVisible('#login-form'), true);
    // The camera preview works before joining.
    await carol.page.click('#btn-preview-inline');
    await carol.page.waitForFunction(() => document.getElementById('local-video').videoWidth > 0, null, { timeout: 10000 });
    assert.equal(await carol.page.isEnabled('#btn-camera'), true);
    assert.equal(await carol.page.isEnabled('#btn-publish'), false, 'going live needs a room');
    const order = await carol.page.evaluate(() => [document.getElementById('login-form'), document.querySelector('.stage')].map((e) => e.getBoundingClientRect().top));
    assert.ok(order[0] < order[1], 'on a phone the join form comes first');
    await carol.page.screenshot({ animations: 'disabled', path: outputPath('console-phone-welcome.png'), fullPage: true });
    assertNoProblems(carol, 'carol');
    await carol.page.close();
  });

  it('a relay message without a business server: the error is explained on the page', async () => {
    await alice.page.click('.tab[data-tab="signals"]');
    await alice.page.fill('#relay-data', 'answer B');
    await alice.page.click('#relay-send');
    await alice.page.waitForSelector('.toast.error >> text=No business server is configured for relay messages', { timeout: 10000 });
    assert.equal(await alice.page.isVisible('#log-badge'), true, 'the Log tab counts the error');
  });

  it('leaving: the other page drops the stream and the user', async () => {
    await bob.page.setViewportSize(LAPTOP);
    await bob.page.click('#btn-leave');
    await bob.page.waitForFunction(() => document.getElementById('status-pill').dataset.state === 'offline', null, { timeout: 5000 });
    assert.equal(await bob.page.isVisible('#login-form'), true);
    await alice.page.waitForSelector('.tile-remote[data-stream="bob-cam"]', { state: 'detached', timeout: 15000 });
    await alice.page.click('.tab[data-tab="people"]');
    await alice.page.waitForSelector('#people-list [data-user="bob"]', { state: 'detached', timeout: 15000 });
  });

  it('the same user ID logging in elsewhere signs the first page out, with the reason on the page', async () => {
    const again = await openConsole(browser.context, server, { viewport: LAPTOP });
    await joinRoom(again, { user: 'alice', nick: 'Alice 2', role: 1 });
    await alice.page.waitForSelector('.toast.error >> text=Someone logged in with the same user ID elsewhere', { timeout: 10000 });
    assert.equal(await alice.page.getAttribute('#status-pill', 'data-state'), 'error');
    assert.equal(await alice.page.isVisible('#login-form'), true, 'back to the join form');
    assert.equal(await alice.page.$$eval('.tile-remote', (t) => t.length), 0);
    assertNoProblems(again, 'second alice');
    assertNoProblems(alice, 'alice');
    assertNoProblems(bob, 'bob');
  });
});
