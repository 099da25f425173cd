// Connection-level behaviour on the real server: restart mid-session (re-login and resync), kick-out by a
// second login of the same idName, heartbeat timeout, exhausted re-login retries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserSuite, openClient, sleep, startServer, token } from './harness.mjs';

describe('connection resilience', () => {
  const suite = browserSuite();

  async function client(opts) {
    const c = await openClient(suite.browser.context, suite.server, opts);
    suite.clients.push(c);
    return c;
  }

  it('server restart on the same port: silent re-login, stream and user resync, no second login success', async () => {
    suite.server = await startServer();
    const room = 'room-restart';
    const alice = await client({ idName: 'alice', nickName: 'Alice' });
    const bob = await client({ idName: 'bob', nickName: 'Bob' });
    // log in, counting login successes
    for (const [c, role] of [[alice, 1], [bob, 2]]) {
      const tok = await token(suite.server.http, c.idName);
      const r = await c.eval(
        ({ room, role, tok }) =>
          new Promise((resolve) => {
            window.__loginOk = 0;
            window.zg.login(room, role, tok, (list) => {
              window.__loginOk++;
              resolve({ ok: true, list });
            }, (err) => resolve({ ok: false, err }));
          }),
        { room, role, tok },
      );
      assert.equal(r.ok, true, JSON.stringify(r));
    }
    const reg = await alice.eval(
      () =>
        new Promise((resolve) => {
          window.zg._room.localStreams.add('alice-live', 'before');
          window.zg._room.localStreams.register('alice-live', (ok) => resolve(ok));
        }),
    );
    assert.equal(reg, true);
    await bob.waitEvent('onStreamUpdated', "args[0] === 0 && args[1].some(s => s.stream_id === 'alice-live')");
    await bob.waitEvent('onGetTotalUserList');
    const totalsBefore = (await bob.events('onGetTotalUserList')).length;
    const sessionBefore = await bob.eval(() => window.zg._room.sessionId);

    // restart: a new server process on the same address
    const addr = suite.server.http;
    await suite.server.stop('SIGKILL');
    suite.server = await startServer({ listen: addr });

    // both re-login within the retry schedule (jittered waits under 1 s, 2 s, 4 s…)
    await bob.page.waitForFunction((before) => window.zg._room.state === 'login' && window.zg._room.sessionId !== before, sessionBefore, { timeout: 20000 });
    await alice.page.waitForFunction(() => window.zg._room.state === 'login', null, { timeout: 20000 });
    // the user list is fetched again; with the increments after it, bob's view ends with both users (whoever
    // logged in to the new server first)
    await bob.page.waitForFunction(
      (n) => {
        const evs = window.__events;
        let last = -1;
        evs.forEach((e, i) => {
          if (e.name === 'onGetTotalUserList') last = i;
        });
        if (evs.filter((e) => e.name === 'onGetTotalUserList').length <= n) return false;
        const members = new Set(evs[last].args[1].map((u) => u.idName));
        for (const e of evs.slice(last + 1)) {
          if (e.name !== 'onUserStateUpdate') continue;
          for (const u of e.args[1]) u.action === 1 ? members.add(u.idName) : members.delete(u.idName);
        }
        return members.has('alice') && members.has('bob') && members.size === 2;
      },
      totalsBefore,
      { timeout: 20000 },
    );
    // alice's stream is announced again on the new server; bob's view of the stream list ends with it
    await bob.page.waitForFunction(
      () => {
        const set = new Set();
        for (const e of window.__events) {
          if (e.name !== 'onStreamUpdated') continue;
          for (const s of e.args[1]) e.args[0] === 0 ? set.add(s.stream_id) : set.delete(s.stream_id);
        }
        return set.has('alice-live') && window.zg._room.streams.has('alice-live');
      },
      null,
      { timeout: 20000 },
    );
    // messaging works on the new suite.server, reliable seqs resync although the new server counts from 1
    assert.equal((await alice.call('sendCustomCommand', [['bob'], 'after restart'])).cb, 'success');
    assert.deepEqual((await bob.waitEvent('onRecvCustomCommand', "args[2] === 'after restart'")).args, ['alice', 'Alice', 'after restart']);
    assert.equal((await alice.call('sendReliableMessage', ['state', 'v-new'])).cb, 'success');
    await bob.waitEvent('onRecvReliableMessage', "args[2] === 'v-new'", 10000);
    for (const c of [alice, bob]) {
      assert.equal(await c.eval(() => window.__loginOk), 1, `${c.idName}: login success only once`);
      assert.equal((await c.events('onDisconnect')).length, 0, `${c.idName}: no onDisconnect`);
    }
  });

  it('connection blip: the client re-logs in; its published stream and membership survive at the others', async () => {
    suite.server = await startServer();
    const room = 'room-blip';
    const alice = await client({ idName: 'alice', nickName: 'Alice' });
    const bob = await client({ idName: 'bob', nickName: 'Bob' });
    assert.equal((await alice.login(room, 1)).ok, true);
    assert.equal((await bob.login(room, 2)).ok, true);
    const reg = await alice.eval(
      () =>
        new Promise((resolve) => {
          window.zg._room.localStreams.add('alice-blip', 'x');
          window.zg._room.localStreams.register('alice-blip', (ok) => resolve(ok));
        }),
    );
    assert.equal(reg, true);
    await bob.waitEvent('onStreamUpdated', "args[0] === 0 && args[1].some(s => s.stream_id === 'alice-blip')");
    const before = await alice.eval(() => window.zg._room.sessionId);
    // drop alice's room socket from the page side (as a network change would)
    await alice.eval(() => window.zg._room.connection.socket.close());
    await alice.page.waitForFunction((b) => window.zg._room.state === 'login' && window.zg._room.sessionId !== b, before, { timeout: 15000 });
    await sleep(4000); // a heartbeat round on both sides
    assert.equal((await alice.call('sendCustomCommand', [['bob'], 'back'])).cb, 'success');
    await bob.waitEvent('onRecvCustomCommand', "args[2] === 'back'");
    const deleted = (await bob.events('onStreamUpdated')).filter((e) => e.args[0] === 1);
    assert.deepEqual(deleted, [], 'the stream was not removed by the blip');
    const left = (await bob.events('onUserStateUpdate')).filter((e) => e.args[1].some((u) => u.idName === 'alice' && u.action === 2));
    assert.deepEqual(left, [], 'alice did not leave during the blip');
    assert.equal((await alice.events('onDisconnect')).length, 0);
  });

  it('kick-out: the same idName logging in elsewhere kicks the first session', async () => {
    suite.server = await startServer();
    const first = await client({ idName: 'kim', nickName: 'Kim' });
    const second = await client({ idName: 'kim', nickName: 'Kim 2' });
    assert.equal((await first.login('room-kick', 2)).ok, true);
    assert.equal((await second.login('room-kick', 2)).ok, true);
    const kick = await first.waitEvent('onKickOut');
    assert.equal(kick.args[0].code, 'ZegoClient.Error.Kickout');
    assert.match(kick.args[0].msg, /^kickout reason=\S+$/);
    assert.equal(await first.invoke('logout'), false, 'the kicked client is logged out');
    assert.equal((await first.events('onDisconnect')).length, 0);
    await sleep(4000); // the kicked client must not log in again by itself
    assert.equal(await first.eval(() => window.zg._room.state), 'logout');
    assert.equal((await second.events('onKickOut')).length, 0);
    assert.equal(await second.eval(() => window.zg._room.state), 'login');
  });

  it('heartbeat timeout: a frozen server → onDisconnect(Timeout) after three unanswered heartbeats', async () => {
    suite.server = await startServer();
    const c = await client({ idName: 'hank', nickName: 'Hank' });
    assert.equal((await c.login('room-hb', 2)).ok, true);
    await c.waitEvent('onUpdateOnlineCount');
    suite.server.proc.kill('SIGSTOP'); // sockets stay open, nothing answers
    try {
      const ev = await c.waitEvent('onDisconnect', 'true', 20000);
      assert.deepEqual(ev.args, [{ code: 'ZegoClient.Error.Timeout', msg: 'heartbeat timeout.' }]);
      assert.equal(await c.eval(() => window.zg._room.state), 'logout');
    } finally {
      suite.server.proc.kill('SIGCONT');
    }
  });

  it('server gone for good: re-login retries run out (reconnectMaxAttempts) → onDisconnect(Network)', async () => {
    suite.server = await startServer();
    const c = await client({ idName: 'gus', nickName: 'Gus', config: { reconnectMaxAttempts: 4, reconnectMaxDelayMs: 2000 } });
    assert.equal((await c.login('room-gone', 2)).ok, true);
    await suite.server.stop('SIGKILL');
    const t0 = Date.now();
    const ev = await c.waitEvent('onDisconnect', 'true', 30000);
    const waited = Date.now() - t0;
    assert.deepEqual(ev.args, [{ code: 'ZegoClient.Error.Network', msg: 'network is broken and login fail.' }]);
    // 4 attempts after jittered waits under 1 s, 2 s, 2 s, 2 s (the cap), each refused at once
    assert.equal(await c.eval(() => window.zg._room.loginRetry.attempts), 4);
    assert.ok(waited < 7000 + 4000, `gave up after ${waited} ms`);
    assert.equal(await c.invoke('logout'), false);
  });

  it('first login against a server that is down → login error(Timeout) after reconnectMaxAttempts attempts', async () => {
    suite.server = await startServer();
    const c = await client({ idName: 'lou', nickName: 'Lou', config: { reconnectMaxAttempts: 3 } });
    await suite.server.stop('SIGKILL');
    const t0 = Date.now();
    const r = await c.eval(
      (tok) => new Promise((resolve) => window.zg.login('room-x', 2, tok, () => resolve({ ok: true }), (err) => resolve({ ok: false, err }))),
      'token-unused',
    );
    assert.deepEqual(r, { ok: false, err: { code: 'ZegoClient.Error.Timeout', msg: 'login timeout.' } });
    // attempt 1 at once, then waits under 1 s and 2 s
    assert.equal(await c.eval(() => window.zg._room.loginRetry.attempts), 3);
    assert.ok(Date.now() - t0 < 3000 + 4000, `gave up after ${Date.now() - t0} ms`);
  });
});
