// Three clients in one room on the real server exercise every room-side method and callback; callback
// arguments are checked field by field against the API reference.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openClient, sleep, startServer } from './harness.mjs';

const ROOM = 'room-main';

describe('room methods and callbacks, three clients', () => {
  let server;
  let browser;
  let business;
  const relayed = [];
  let alice;
  let bob;
  let carol;

  before(async () => {
    // A business server for relay messages: answers with the data it got.
    business = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const msg = JSON.parse(body);
        relayed.push({ msg, signature: req.headers['x-liveroom-signature'] });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ relay_result: `ack:${msg.relay_type}:${msg.relay_data}` }));
      });
    });
    await new Promise((r) => business.listen(0, '127.0.0.1', r));
    server = await startServer({ env: { LIVEROOM_RELAY__URL: `http://127.0.0.1:${business.address().port}/relay` } });
    browser = await launchBrowser();
    alice = await openClient(browser.context, server, { idName: 'alice', nickName: 'Alice' });
    bob = await openClient(browser.context, server, { idName: 'bob', nickName: 'Bob' });
    carol = await openClient(browser.context, server, { idName: 'carol', nickName: 'Carol' });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    business?.close();
  });

  it('statics and the global class', async () => {
    const r = await alice.eval(() => ({
      version: window.ZegoClient.getCurrentVersion(),
      webrtc: window.ZegoClient.isSupportWebrtc(),
      type: typeof window.ZegoClient,
      timeout: window.ZegoClient.Error.Timeout,
    }));
    assert.match(r.version, /^1\.\d+\.\d+$/);
    assert.equal(r.webrtc, true);
    assert.equal(r.type, 'function');
    assert.equal(r.timeout, 'ZegoClient.Error.Timeout');
  });

  it('login: anchor first, then two audience members; anchor info, online count, user lists', async () => {
    const a = await alice.login(ROOM, 1);
    assert.deepEqual(a, { ok: true, list: [] });
    const anchor = await alice.waitEvent('onGetAnchorInfo');
    assert.deepEqual(anchor.args, ['alice', 'Alice']);
    const total = await alice.waitEvent('onGetTotalUserList');
    assert.deepEqual(total.args, [ROOM, [{ idName: 'alice', nickName: 'Alice', role: 1 }]]);
    const count = await alice.waitEvent('onUpdateOnlineCount');
    assert.deepEqual(count.args, [ROOM, 1]);

    const b = await bob.login(ROOM, 2);
    assert.equal(b.ok, true);
    assert.deepEqual((await bob.waitEvent('onGetAnchorInfo')).args, ['alice', 'Alice']);
    const bobTotal = await bob.waitEvent('onGetTotalUserList');
    assert.equal(bobTotal.args[0], ROOM);
    assert.deepEqual(
      bobTotal.args[1].slice().sort((x, y) => x.idName.localeCompare(y.idName)),
      [
        { idName: 'alice', nickName: 'Alice', role: 1 },
        { idName: 'bob', nickName: 'Bob', role: 2 },
      ],
    );
    const joined = await alice.waitEvent('onUserStateUpdate', "args[1].some(u => u.idName === 'bob')");
    assert.equal(joined.args[0], ROOM);
    const u = joined.args[1].find((x) => x.idName === 'bob');
    assert.equal(u.action, 1);
    assert.equal(u.nickName, 'Bob');
    assert.equal(u.role, 2);
    assert.equal(typeof u.loginTime, 'string');
    assert.ok(u.loginTime.length > 0);
    assert.deepEqual(Object.keys(u).sort(), ['action', 'idName', 'loginTime', 'nickName', 'role']);

    const c = await carol.loginWithAuthor(ROOM);
    assert.equal(c.ok, true);
    await alice.waitEvent('onUserStateUpdate', "args[1].some(u => u.idName === 'carol' && u.action === 1)");
    await bob.waitEvent('onUserStateUpdate', "args[1].some(u => u.idName === 'carol' && u.action === 1)");
    // online count arrives with the heartbeats (3 s in these tests)
    await alice.waitEvent('onUpdateOnlineCount', 'args[1] === 3', 10000);
  });
});

