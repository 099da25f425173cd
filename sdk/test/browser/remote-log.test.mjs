// Remote logging against the server's own collector (/log, WebSocket and POST) and a collector named by the
// login reply; and no remote logging at all when nothing names a collector.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APPID, launchBrowser, openClient, startServer } from './harness.mjs';

function collectedLines(dir, idName) {
  const appDir = join(dir, String(APPID));
  if (!existsSync(appDir)) return [];
  const files = readdirSync(appDir).filter((f) => f.startsWith(idName));
  return files.flatMap((f) =>
    readFileSync(join(appDir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

async function until(fn, timeoutMs, what) {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('remote logging', () => {
  let server;
  let browser;
  let dir;
  let collector;
  const posted = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liveroom-sdk-logs-'));
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        posted.push({ method: req.method, body });
        res.setHeader('access-control-allow-origin', '*');
        res.end('{}');
      });
    });
    await new Promise((r) => collector.listen(0, '127.0.0.1', r));
    server = await startServer({
      env: {
        LIVEROOM_LOG_COLLECTOR__DIR: dir,
      },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no logUrl and no log_url from the server: the page opens no socket but the room and sends no request', async () => {
    const c = await openClient(browser.context, server, { idName: 'quiet', nickName: 'Q', config: { remoteLogLevel: 0 } });
    const sockets = [];
    const requests = [];
    c.page.on('websocket', (ws) => sockets.push(ws.url()));
    c.page.on('request', (r) => requests.push(r.url()));
    assert.equal((await c.login('room-log', 2)).ok, true);
    await c.eval(() => window.zg._log.error('zc.test an error that stays local'));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(sockets, [server.ws]);
    assert.deepEqual(requests, []);
    assert.equal(await c.eval(() => window.zg._log.remoteUrl), null);
    await c.invoke('release');
    await c.close();
  });

  it('ws: logUrl: lines reach the collector in the notes §9 format, at or above remoteLogLevel', async () => {
    const c = await openClient(browser.context, server, {
      idName: 'wsuser',
      nickName: 'WS User',
      config: { logUrl: `ws://${server.http}/log`, remoteLogLevel: 1 },
    });
    assert.equal((await c.login('room-log', 2)).ok, true);
    await c.eval(() => {
      window.zg._log.debug('zc.test.debug below the remote level');
      window.zg._log.warn('zc.test.marker remote line from the browser');
    });
    const lines = await until(() => {
      const l = collectedLines(dir, 'wsuser');
      return l.some((x) => x.action === 'zc.test.marker') ? l : null;
    }, 15000, 'the marker line in the collector');
    const m = lines.find((x) => x.action === 'zc.test.marker');
    assert.match(m.time, /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    assert.equal(m.level, 2);
    assert.equal(m.content, 'remote line from the browser');
    assert.equal(m.appid, APPID);
    assert.equal(m.roomid, 'room-log');
    assert.equal(m.userid, 'wsuser');
    assert.equal(m.userName, 'WS User');
    assert.equal(typeof m.sessionid, 'string');
    assert.ok(m.sessionid.length > 0);
    assert.ok(lines.some((x) => x.action === 'zc.login.ok'), 'lines logged before the socket opened were cached and flushed');
    assert.ok(!lines.some((x) => x.action === 'zc.test.debug'), 'debug is below remoteLogLevel 1');
    await c.invoke('release');
    await c.close();
  });

  it('http: logUrl: lines are POSTed in batches (every 10 s)', async () => {
    const c = await openClient(browser.context, server, {
      idName: 'httpuser',
      nickName: 'H',
      config: { logUrl: `http://${server.http}/log`, remoteLogLevel: 0 },
    });
    assert.equal((await c.login('room-log', 2)).ok, true);
    await c.eval(() => window.zg._log.info('zc.test.http posted line'));
    const lines = await until(() => {
      const l = collectedLines(dir, 'httpuser');
      return l.some((x) => x.action === 'zc.test.http') ? l : null;
    }, 20000, 'the POSTed line');
    assert.ok(lines.length > 1, 'several lines in one batch');
    await c.invoke('release');
    await c.close();
  });

  it("the login reply's config_info.log_url names a collector and log_level sets the remote level", async () => {
    const url = `http://127.0.0.1:${collector.address().port}/collect`;
    const s2 = await startServer({ env: { LIVEROOM_REMOTE_LOG__URL: url, LIVEROOM_REMOTE_LOG__LEVEL: '2' } });
    try {
      const c = await openClient(browser.context, s2, { idName: 'cfguser', nickName: 'C', config: { remoteLogLevel: 0 } });
      assert.equal((await c.login('room-log', 2)).ok, true);
      assert.equal(await c.eval(() => window.zg._log.remoteUrl), url);
      await c.eval(() => {
        window.zg._log.info('zc.test.info below level 2');
        window.zg._log.error('zc.test.error at level 3');
      });
      await c.invoke('release'); // release flushes the batch
      const body = await until(() => posted.map((p) => p.body).join('\n'), 10000, 'a POST to the collector');
      const lines = body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.action === 'zc.test.error'));
      assert.ok(!lines.some((l) => l.action === 'zc.test.info'));
      assert.ok(lines.every((l) => l.level >= 2));
      await c.close();
    } finally {
      await s2.stop();
    }
  });
});
