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

  it('sendCustomCommand: success(seq, content) and onRecvCustomCommand(from_idName, from_nickName, custom_content)', async () => {
    const content = { kind: 'poke', n: 1 };
    const r = await alice.call('sendCustomCommand', [['bob', 'carol'], content]);
    assert.equal(r.returned, true);
    assert.equal(r.cb, 'success');
    assert.equal(typeof r.args[0], 'number');
    assert.deepEqual(r.args[1], content);
    for (const c of [bob, carol]) {
      const ev = await c.waitEvent('onRecvCustomCommand');
      assert.deepEqual(ev.args, ['alice', 'Alice', content]);
    }
    const s = await bob.call('sendCustomCommand', [['alice'], 'plain text']);
    assert.equal(s.cb, 'success');
    assert.deepEqual(s.args[1], 'plain text');
    assert.deepEqual((await alice.waitEvent('onRecvCustomCommand')).args, ['bob', 'Bob', 'plain text']);
    assert.equal((await alice.events('onRecvCustomCommand')).length, 1, 'the sender does not get its own command');
    // over the 1024-byte limit: the server refuses, the error callback gets (err, seq, content)
    const big = 'x'.repeat(1025);
    const e = await alice.call('sendCustomCommand', [['bob'], big]);
    assert.equal(e.cb, 'error');
    assert.equal(e.args[0].code, 'ZegoClient.Error.Server');
    assert.match(e.args[0].msg, /^liveroom cmd error, result=\d+$/);
    assert.equal(typeof e.args[1], 'number');
    assert.equal(e.args[2], big);
  });

  it('sendRoomMsg: success(seq, msgId, category, type, content), onRecvRoomMsg fields, 500 ms limit', async () => {
    const r = await bob.call('sendRoomMsg', [1, 1, 'hello room']);
    assert.equal(r.cb, 'success');
    const [seq, msgId, cat, type, content] = r.args;
    assert.equal(typeof seq, 'number');
    assert.equal(typeof msgId, 'number');
    assert.deepEqual([cat, type, content], [1, 1, 'hello room']);
    for (const c of [alice, carol]) {
      const ev = await c.waitEvent('onRecvRoomMsg', "args[0].some(m => m.msg_content === 'hello room')");
      const [chat, serverMsgId, retMsgId] = ev.args;
      assert.equal(typeof serverMsgId, 'number');
      assert.equal(typeof retMsgId, 'number');
      const m = chat.find((x) => x.msg_content === 'hello room');
      assert.equal(m.id_name, 'bob');
      assert.equal(m.nick_name, 'Bob');
      assert.equal(m.role, 2);
      assert.equal(m.msg_id, msgId);
      assert.equal(m.msg_category, 1);
      assert.equal(m.msg_type, 1);
      assert.equal(typeof m.send_time, 'number');
    }
    // a second message within 500 ms is refused client-side
    await sleep(600);
    const limited = await bob.eval(
      () =>
        new Promise((resolve) => {
          const out = {};
          out.first = window.zg.sendRoomMsg(2, 2, 'a', () => undefined, () => undefined);
          out.second = window.zg.sendRoomMsg(2, 3, 'b', () => undefined, (...a) => {
            out.err = a;
            resolve(out);
          });
        }),
    );
    assert.equal(limited.first, true);
    assert.equal(limited.second, false);
    assert.deepEqual(limited.err, [{ code: 'ZegoClient.Error.requencyLimited', msg: 'Frequency Limited.' }, 0, 2, 3, 'b']);
  });

  it('sendReliableMessage: success(seq); others get onRecvReliableMessage(type, seq, data); a late joiner gets the latest', async () => {
    const r1 = await alice.call('sendReliableMessage', ['quiz', 'question-1']);
    assert.equal(r1.cb, 'success');
    assert.equal(typeof r1.args[0], 'number');
    for (const c of [bob, carol]) {
      const ev = await c.waitEvent('onRecvReliableMessage', "args[2] === 'question-1'");
      assert.equal(ev.args[0], 'quiz');
      assert.equal(typeof ev.args[1], 'number');
    }
    const r2 = await alice.call('sendReliableMessage', ['quiz', 'question-2']);
    assert.equal(r2.cb, 'success');
    const q2 = await bob.waitEvent('onRecvReliableMessage', "args[2] === 'question-2'");
    const q1 = await bob.waitEvent('onRecvReliableMessage', "args[2] === 'question-1'");
    assert.ok(q2.args[1] > q1.args[1], 'seq rises per type');
    assert.equal((await alice.events('onRecvReliableMessage')).length, 0, 'the sender does not get its own');
    // dave joins later and receives only the latest message of the type, from his first heartbeat
    const dave = await openClient(browser.context, server, { idName: 'dave', nickName: 'Dave', userStateUpdate: false });
    assert.equal((await dave.login(ROOM, 2)).ok, true);
    const late = await dave.waitEvent('onRecvReliableMessage');
    assert.deepEqual(late.args, ['quiz', q2.args[1], 'question-2']);
    await sleep(3500); // one more heartbeat: nothing re-delivered
    assert.equal((await dave.events('onRecvReliableMessage')).length, 1);
    assert.equal(await dave.invoke('logout'), true);
    await dave.close();
  });

  it('sendBigRoomMessage: success(seq, messageId) per message; others get onRecvBigRoomMessage batches', async () => {
    const sent = await carol.eval(
      () =>
        new Promise((resolve) => {
          const results = [];
          for (let i = 0; i < 5; i++) {
            window.zg.sendBigRoomMessage(1, 1, `big-${i}`, (...a) => {
              results.push(['ok', i, ...a]);
              if (results.length === 5) resolve(results);
            }, (...a) => {
              results.push(['err', i, ...a]);
              if (results.length === 5) resolve(results);
            });
          }
        }),
    );
    assert.equal(sent.filter((x) => x[0] === 'ok').length, 5, JSON.stringify(sent));
    const ids = new Set();
    for (const [, , seq, messageId] of sent) {
      assert.equal(typeof seq, 'number');
      assert.equal(typeof messageId, 'string');
      assert.ok(messageId.length > 0);
      ids.add(messageId);
    }
    assert.equal(ids.size, 5);
    for (const c of [alice, bob]) {
      await c.page.waitForFunction(
        () => window.__events.filter((e) => e.name === 'onRecvBigRoomMessage').flatMap((e) => e.args[0]).length >= 5,
        null,
        { timeout: 15000 },
      );
      const evs = await c.events('onRecvBigRoomMessage');
      const msgs = evs.flatMap((e) => e.args[0]);
      for (const e of evs) assert.equal(e.args[1], ROOM);
      assert.deepEqual(msgs.map((m) => m.content).sort(), ['big-0', 'big-1', 'big-2', 'big-3', 'big-4']);
      for (const m of msgs) {
        assert.deepEqual(Object.keys(m).sort(), ['category', 'content', 'idName', 'messageId', 'nickName', 'time', 'type']);
        assert.equal(m.idName, 'carol');
        assert.equal(m.nickName, 'Carol');
        assert.equal(m.category, 1);
        assert.equal(m.type, 1);
        assert.equal(typeof m.time, 'number');
        assert.ok(ids.has(m.messageId));
      }
    }
    assert.equal((await carol.events('onRecvBigRoomMessage')).length, 0, 'own messages are filtered');
  });

  it('sendRelayMessage: success(seq, result) with the business server answer', async () => {
    const r = await bob.call('sendRelayMessage', ['1', 'answer-B']);
    assert.equal(r.cb, 'success', JSON.stringify(r));
    assert.equal(typeof r.args[0], 'number');
    assert.equal(r.args[1], 'ack:1:answer-B');
    const got = relayed.find((x) => x.msg.relay_data === 'answer-B');
    assert.ok(got, 'the business server got the message');
    assert.match(got.signature, /^sha256=[0-9a-f]{64}$/);
  });

  it('join-live: request/respond, invite/refuse, end — signals and result callbacks', async () => {
    const req = await bob.call('requestJoinLive', ['alice'], ['success', 'error', 'result']);
    assert.equal(req.cb, 'success');
    assert.equal(typeof req.args[0], 'number');
    const got = await alice.waitEvent('onRecvJoinLiveRequest');
    const [requestId, fromId, fromNick, roomId] = got.args;
    assert.match(requestId, /^bob-\d+$/);
    assert.deepEqual([fromId, fromNick, roomId], ['bob', 'Bob', ROOM]);
    const resp = await alice.call('respondJoinLive', [requestId, true]);
    assert.equal(resp.cb, 'success');
    await bob.page.waitForFunction(() => (window.__cbs || []).some((c) => c.cb === 'result'), null, { timeout: 10000 });
    const results = await bob.extraCallbacks('requestJoinLive', 'result');
    assert.deepEqual(results.map((c) => c.args), [[true, 'alice', 'Alice']]);
    assert.equal(await alice.eval((id) => window.zg.respondJoinLive(id, true, () => 0, () => 0), requestId), false, 'answered already');

    const inv = await alice.call('inviteJoinLive', ['carol'], ['success', 'error', 'result']);
    assert.equal(inv.cb, 'success');
    const invited = await carol.waitEvent('onRecvInviteJoinLiveRequest');
    assert.match(invited.args[0], /^alice-\d+$/);
    assert.deepEqual(invited.args.slice(1), ['alice', 'Alice', ROOM]);
    assert.equal((await carol.call('respondJoinLive', [invited.args[0], false])).cb, 'success');
    await alice.page.waitForFunction(() => (window.__cbs || []).some((c) => c.method === 'inviteJoinLive' && c.cb === 'result'), null, { timeout: 10000 });
    assert.deepEqual((await alice.extraCallbacks('inviteJoinLive', 'result')).map((c) => c.args), [[false, 'carol', 'Carol']]);

    const end = await alice.call('endJoinLive', ['bob']);
    assert.equal(end.cb, 'success');
    const ended = await bob.waitEvent('onRecvEndJoinLiveCommand');
    assert.match(ended.args[0], /^alice-\d+$/);
    assert.deepEqual(ended.args.slice(1), ['alice', 'Alice', ROOM]);
  });

  it('streams: a registered stream reaches others as onStreamUpdated; updateStreamExtraInfo as onStreamExtraInfoUpdated', async () => {
    // The media module (later issue) announces published streams through the room's LocalStreams; this drives
    // that same room path without media.
    const reg = await alice.eval(
      () =>
        new Promise((resolve) => {
          window.zg._room.localStreams.add('alice-cam', 'info-0');
          window.zg._room.localStreams.register('alice-cam', (ok, err) => resolve({ ok, err }));
        }),
    );
    assert.equal(reg.ok, true, JSON.stringify(reg));
    for (const c of [bob, carol]) {
      const ev = await c.waitEvent('onStreamUpdated', "args[0] === 0 && args[1].some(s => s.stream_id === 'alice-cam')");
      const s = ev.args[1].find((x) => x.stream_id === 'alice-cam');
      assert.equal(s.anchor_id_name, 'alice');
      assert.equal(s.anchor_nick_name, 'Alice');
      assert.equal(s.extra_info, 'info-0');
    }
    assert.equal(await alice.invoke('updateStreamExtraInfo', 'alice-cam', 'info-1'), true);
    for (const c of [bob, carol]) {
      const ev = await c.waitEvent('onStreamExtraInfoUpdated');
      assert.equal(ev.args[0].length, 1);
      assert.equal(ev.args[0][0].stream_id, 'alice-cam');
      assert.equal(ev.args[0][0].extra_info, 'info-1');
      assert.equal(ev.args[0][0].anchor_id_name, 'alice');
    }
    assert.equal((await alice.events('onStreamUpdated')).length, 0, 'own streams never reach callbacks');
    // CDN URL selection over the known list: an http: page gets the stream's HTTP-FLV URL
    const urls = await bob.eval(() => window.zg.filterStreamList('alice-cam'));
    assert.equal(urls.length, 1, JSON.stringify(urls));
    assert.match(urls[0], /^http:\/\/127\.0\.0\.1:\d+\/live\/\d+\/alice-cam\.flv$/);
    assert.deepEqual(await bob.eval(() => window.zg.filterStreamList()), urls, 'the first stream when no id is given');
    assert.deepEqual(await bob.eval(() => window.zg.filterStreamList('nobody')), []);
    assert.equal(await bob.eval(() => window.zg.filterStreamList(5)), false);
    // a late joiner gets it in the login stream list
    const erin = await openClient(browser.context, server, { idName: 'erin', nickName: 'Erin', userStateUpdate: false });
    const login = await erin.login(ROOM, 2);
    assert.equal(login.ok, true);
    assert.equal(login.list.length, 1);
    assert.deepEqual(
      { stream_id: login.list[0].stream_id, anchor_id_name: login.list[0].anchor_id_name, anchor_nick_name: login.list[0].anchor_nick_name, extra_info: login.list[0].extra_info },
      { stream_id: 'alice-cam', anchor_id_name: 'alice', anchor_nick_name: 'Alice', extra_info: 'info-1' },
    );
    await erin.invoke('logout');
    await erin.close();
    await alice.eval(() => window.zg._room.localStreams.remove('alice-cam'));
    for (const c of [bob, carol]) {
      await c.waitEvent('onStreamUpdated', "args[0] === 1 && args[1].some(s => s.stream_id === 'alice-cam')");
    }
  });

  it('bad arguments return false in the browser, never throw, send nothing', async () => {
    const r = await bob.eval(() => {
      const zg = window.zg;
      const f = () => undefined;
      const calls = {
        loginNoRoom: () => zg.login('', 1, 't', f, f),
        loginRole: () => zg.login('r', 7, 't', f, f),
        custEmpty: () => zg.sendCustomCommand([], 'x', f, f),
        custNoCb: () => zg.sendCustomCommand(['alice'], 'x'),
        roomMsgType: () => zg.sendRoomMsg('1', 1, 'x', f, f),
        reliableLong: () => zg.sendReliableMessage('t'.repeat(129), 'd', f, f),
        relayNoType: () => zg.sendRelayMessage('', 'd', f, f),
        bigNoContent: () => zg.sendBigRoomMessage(1, 1, undefined, f, f),
        joinNoResult: () => zg.requestJoinLive('alice', f, f),
        respondUnknown: () => zg.respondJoinLive('nobody-1', true, f, f),
        endNoDest: () => zg.endJoinLive('', f, f),
        extraNoId: () => zg.updateStreamExtraInfo('', 'x'),
        userState: () => zg.setUserStateUpdate('yes'),
        configBad: () => new window.ZegoClient().config({ appid: 0 }),
      };
      const out = {};
      for (const [k, fn] of Object.entries(calls)) {
        try {
          out[k] = fn();
        } catch (e) {
          out[k] = `threw ${e}`;
        }
      }
      return out;
    });
    for (const [k, v] of Object.entries(r)) assert.equal(v, false, k);
    // still logged in and working
    assert.equal((await bob.call('sendCustomCommand', [['alice'], 'still here'])).cb, 'success');
  });

  it('logout: others see the user leave; a second logout returns false', async () => {
    assert.equal(await carol.invoke('logout'), true);
    const left = await alice.waitEvent('onUserStateUpdate', "args[1].some(u => u.idName === 'carol' && u.action === 2)");
    const u = left.args[1].find((x) => x.idName === 'carol' && x.action === 2);
    assert.deepEqual([u.nickName, u.role], ['Carol', 2]);
    assert.equal(await carol.invoke('logout'), false);
    assert.equal(await carol.invoke('release'), true);
    for (const c of [alice, bob, carol]) {
      assert.equal((await c.events('onDisconnect')).length, 0);
      assert.equal((await c.events('onKickOut')).length, 0);
    }
  });
});

