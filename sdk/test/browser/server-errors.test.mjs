// Server refusals reach the application as ZegoClient.Error.Server with the notes §1.7 messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openClient, startServer } from './harness.mjs';

describe('server errors', () => {
  let server;
  let browser;
  let c;

  before(async () => {
    server = await startServer(); // no relay.url configured
    browser = await launchBrowser();
    c = await openClient(browser.context, server, { idName: 'erra', nickName: 'Err A', userStateUpdate: false });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a bad token: login error {code: ZegoClient.Error.Server, msg: "token error"}, no retry', async () => {
    const r = await c.eval(
      () => new Promise((resolve) => window.zg.login('room-err', 2, 'not-a-token', () => resolve({ ok: true }), (err) => resolve({ ok: false, err }))),
    );
    assert.deepEqual(r, { ok: false, err: { code: 'ZegoClient.Error.Server', msg: 'token error' } });
    assert.equal(await c.eval(() => window.zg._room.state), 'logout');
  });

  it('refused commands map to "liveroom cmd error, result=<code>" with the request seq', async () => {
    assert.equal((await c.login('room-err', 1)).ok, true);
    const relay = await c.call('sendRelayMessage', ['1', 'x']);
    assert.equal(relay.cb, 'error');
    assert.equal(relay.args[0].code, 'ZegoClient.Error.Server');
    assert.match(relay.args[0].msg, /^liveroom cmd error, result=10000000\d\d$/);
    assert.equal(typeof relay.args[1], 'number');

    const nobody = await c.call('sendCustomCommand', [['nobody-here'], 'hi']);
    assert.equal(nobody.cb, 'error');
    assert.equal(nobody.args[0].code, 'ZegoClient.Error.Server');
    assert.equal(nobody.args[2], 'hi');

    // reliable messages: at most 10 types per room (reference 1.28)
    for (let i = 0; i < 10; i++) assert.equal((await c.call('sendReliableMessage', [`type-${i}`, 'd'])).cb, 'success');
    const eleventh = await c.call('sendReliableMessage', ['type-10', 'd']);
    assert.equal(eleventh.cb, 'error');
    assert.match(eleventh.args[0].msg, /^liveroom cmd error, result=\d+$/);

    const longMsg = await c.call('sendRoomMsg', [1, 1, 'x'.repeat(5000)]);
    assert.equal(longMsg.cb, 'error');
    assert.deepEqual(longMsg.args.slice(2), [1, 1, 'x'.repeat(5000)]);
    // still logged in
    assert.equal(await c.eval(() => window.zg._room.state), 'login');
    assert.equal((await c.events('onDisconnect')).length, 0);
  });
});
