// Two `liveroom` nodes on one real redis-server (docs/cluster.md): two Chromium pages of our SDK in one room,
// each logged in on a different node, see each other, talk (room messages, custom commands), and one plays
// what the other publishes — the stream piped from the publisher's node to the player's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { browserSuite, openClient, sleep, startServer } from './harness.mjs';
import { assertFlowing, assertVideoShows, installMedia, preview } from './media-helpers.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own on a free port, without persistence. */
async function startRedis() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const t0 = Date.now();
  for (;;) {
    const up = await new Promise((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (up) break;
    if (Date.now() - t0 > 10000) throw new Error('redis-server did not start (apt-get install redis-server)');
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

describe('cluster: one room on two nodes', () => {
  const suite = browserSuite();
  let redis;
  const nodes = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await redis?.stop();
  });

  async function node(id) {
    const n = await startServer({
      env: { LIVEROOM_REDIS_URL: redis.url, LIVEROOM_CLUSTER__NODE_ID: id, LIVEROOM_CLUSTER__PLACEMENT: 'local' },
    });
    nodes.push(n);
    return n;
  }

  async function client(server, idName) {
    const c = await openClient(suite.browser.context, server, { idName, nickName: idName.toUpperCase() });
    await installMedia(c);
    suite.clients.push(c);
    return c;
  }

  it('two browsers on different nodes see each other, talk, publish and play', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    assert.equal(a.ready.node_id, 'node-a');
    assert.equal(b.ready.redis, redis.url);

    const alice = await client(a, 'alice');
    const bob = await client(b, 'bob');
    assert.equal((await alice.login('cluster-room', 1)).ok, true);
    assert.equal((await bob.login('cluster-room', 2)).ok, true);
    await alice.waitEvent('onUserStateUpdate', "args[1].some(u => u.idName === 'bob' && u.action === 1)");

    // Room messages both ways and a custom command across the nodes.
    assert.equal((await bob.call('sendRoomMsg', [1, 1, 'hi from node-b'])).cb, 'success');
    await alice.waitEvent('onRecvRoomMsg', "args[0].some(m => m.msg_content === 'hi from node-b' && m.id_name === 'bob')");
    assert.equal((await alice.call('sendRoomMsg', [1, 1, 'hi from node-a'])).cb, 'success');
    await bob.waitEvent('onRecvRoomMsg', "args[0].some(m => m.msg_content === 'hi from node-a')");
    assert.equal((await alice.call('sendCustomCommand', [['bob'], 'ping'])).cb, 'success');
    assert.deepEqual((await bob.waitEvent('onRecvCustomCommand')).args, ['alice', 'ALICE', 'ping']);

    // alice publishes to node-a; bob, whose media goes to node-b, plays it.
    assert.deepEqual(await preview(alice, 'local'), { ok: true });
    assert.equal(await alice.eval(() => window.zg.startPublishingStream('alice-cam', window.__m.el('local'), 'extra')), true);
    assert.deepEqual((await alice.waitEvent('onPublishStateUpdate', "args[1] === 'alice-cam'", 20000)).args, [0, 'alice-cam', 0]);
    await bob.waitEvent('onStreamUpdated', "args[0] === 0 && args[1].some(s => s.stream_id === 'alice-cam')");
    assert.equal(await bob.eval(() => window.zg.startPlayingStream('alice-cam', window.__m.el('remote', false))), true);
    assert.deepEqual((await bob.waitEvent('onPlayStateUpdate', "args[1] === 'alice-cam'", 20000)).args, [0, 'alice-cam']);
    const shown = await assertVideoShows(bob, 'remote');
    assert.ok(shown.w > 0 && shown.h > 0, JSON.stringify(shown));
    const s = await assertFlowing(bob, 'alice-cam');
    assert.ok(s.video && s.audio, JSON.stringify(s));
  });
});
