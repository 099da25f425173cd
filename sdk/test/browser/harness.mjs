// Browser-test harness: the real liveroom server (spawned), Debian's Chromium driven by playwright-core, and
// pages that load the built IIFE SDK and record every callback.
import { after, afterEach, before } from 'node:test';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const SDK_ROOT = join(here, '..', '..');
export const SDK_BUNDLE = process.env.SDK_BUNDLE_PATH || join(SDK_ROOT, 'dist', 'zego-client.js');
export const SERVER_BIN = process.env.LIVEROOM_BIN || '/var/tmp/liveroom-target/debug/liveroom';
export const APPID = 1739272706;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

/**
 * Tuning for tests: short heartbeats so resync paths run within seconds; every other listener on a free port
 * (the defaults are fixed ports, and tests run more than one server at a time).
 */
export const FAST_ENV = {
  LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS: '3000',
  LIVEROOM_ROOM__SESSION_TIMEOUT_MS: '15000',
  LIVEROOM_METRICS__LISTEN: '127.0.0.1:0',
  LIVEROOM_RTC__LISTEN: '127.0.0.1:0',
  LIVEROOM_TURN__LISTEN: '127.0.0.1:0',
};

/**
 * Starts `liveroom --dev` and resolves once it printed its ready line. `listen` may name a fixed
 * address (to restart a server on the same port).
 */
export async function startServer({ listen = '127.0.0.1:0', env = {} } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`no server binary at ${SERVER_BIN}: build it (CARGO_TARGET_DIR=/var/tmp/liveroom-target cargo build -p liveroom-server) or set LIVEROOM_BIN`);
  }
  if (!existsSync(SDK_BUNDLE)) throw new Error(`no SDK bundle at ${SDK_BUNDLE}: run npm run build first`);
  const proc = spawn(SERVER_BIN, ['--dev', '--http', listen], {
    env: { ...process.env, ...FAST_ENV, ...env, LIVEROOM_LOG__LEVEL: process.env.LIVEROOM_TEST_SERVER_LOG || 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = [];
  proc.stderr.on('data', (d) => {
    stderr.push(String(d));
    if (process.env.LIVEROOM_TEST_VERBOSE) process.stderr.write(`[server] ${d}`);
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    const timer = setTimeout(() => reject(new Error(`server not ready in 20 s; stderr:\n${stderr.join('')}`)), 20000);
    rl.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const ev = JSON.parse(line);
        if (ev.event === 'ready') {
          clearTimeout(timer);
          resolve(ev);
        }
      } catch {
        /* not the ready line */
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before ready; stderr:\n${stderr.join('')}`));
    });
  });
  return {
    proc,
    http: ready.http,
    ws: `ws://${ready.http}/ws`,
    /** The ready line: every bound address (`rtc` media UDP, `turn` relay, `metrics`). */
    ready,
    /** The embedded TURN relay (UDP and TCP), when it runs. */
    turn: ready.turn,
    stderr,
    exited,
    async stop(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

export async function token(http, idName, appid = APPID) {
  const r = await fetch(`http://${http}/token?app_id=${appid}&id_name=${encodeURIComponent(idName)}`);
  if (!r.ok) throw new Error(`token: HTTP ${r.status}`);
  return (await r.text()).trim();
}

/** `extraArgs` are added to CHROMIUM_ARGS (e.g. an autoplay policy for Web Audio tests). */
/**
 * The fixture every browser test suite shares: one Chromium for the suite (`launch` as for launchBrowser), and
 * after each test its clients closed and its server stopped. Tests set `suite.server` and push to `suite.clients`.
 */
export function browserSuite(launch = {}) {
  const suite = { browser: null, server: null, clients: [] };
  before(async () => {
    suite.browser = await launchBrowser(launch);
  });
  after(async () => {
    await suite.browser?.close();
  });
  afterEach(async () => {
    for (const c of suite.clients.splice(0)) await c.close().catch(() => undefined);
    await suite.server?.stop();
    suite.server = null;
  });
  return suite;
}

export async function launchBrowser({ extraArgs = [] } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'liveroom-sdk-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export const CALLBACKS = [
  'onDisconnect',
  'onKickOut',
  'onGetAnchorInfo',
  'onRecvCustomCommand',
  'onStreamUpdated',
  'onStreamExtraInfoUpdated',
  'onRecvRoomMsg',
  'onUserStateUpdate',
  'onGetTotalUserList',
  'onRecvJoinLiveRequest',
  'onRecvInviteJoinLiveRequest',
  'onRecvEndJoinLiveCommand',
  'onRecvReliableMessage',
  'onRecvBigRoomMessage',
  'onUpdateOnlineCount',
  'onPlayStateUpdate',
  'onPublishStateUpdate',
  'onVideoSizeChanged',
  'onPlayQualityUpdate',
  'onPublishQualityUpdate',
  'onRemoteCameraStatusUpdate',
  'onRemoteMicStatusUpdate',
  'onScreenSharingEnded',
];

/**
 * A page on the server's origin with the SDK loaded and one ZegoClient whose callbacks all record
 * `{name, args}` into `window.__events`. Methods are called through `call()`.
 */
export async function openClient(context, server, { idName, nickName, userStateUpdate = true, config = {} }) {
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => {
    consoleLines.push(m.text());
    if (process.env.LIVEROOM_TEST_VERBOSE) console.log(`[${idName}] ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(`http://${server.http}/livez`);
  await page.addScriptTag({ path: SDK_BUNDLE });
  const ok = await page.evaluate(
    ({ names, cfg, userStateUpdate }) => {
      window.__events = [];
      const zg = new window.ZegoClient();
      for (const name of names) {
        zg[name] = (...args) => window.__events.push({ name, args: JSON.parse(JSON.stringify(args ?? null)), at: Date.now() });
      }
      window.zg = zg;
      const configured = zg.config(cfg);
      if (userStateUpdate) zg.setUserStateUpdate(true);
      return configured;
    },
    { names: CALLBACKS, cfg: { appid: APPID, server: server.ws, idName, nickName, logLevel: 2, ...config }, userStateUpdate },
  );
  if (!ok) throw new Error('config() returned false');
  return new Client(page, idName, nickName, server, consoleLines);
}

export class Client {
  constructor(page, idName, nickName, server, consoleLines) {
    this.page = page;
    this.idName = idName;
    this.nickName = nickName;
    this.server = server;
    this.console = consoleLines;
  }

  /** Logs in; resolves {ok, list} or {ok:false, err}. */
  async login(roomId, role, { thirdToken } = {}) {
    const tok = await token(this.server.http, this.idName);
    return this.page.evaluate(
      ({ roomId, role, tok, thirdToken }) =>
        new Promise((resolve) => {
          const ok = (list) => resolve({ ok: true, list });
          const err = (e) => resolve({ ok: false, err: e });
          const accepted =
            thirdToken === undefined ? window.zg.login(roomId, role, tok, ok, err) : window.zg.loginWithAuthor(roomId, role, tok, thirdToken, ok, err);
          if (!accepted) resolve({ ok: false, rejected: true });
        }),
      { roomId, role, tok, thirdToken },
    );
  }

  async loginWithAuthor(roomId, role = 2, thirdToken = 'third-party-token') {
    return this.login(roomId, role, { thirdToken });
  }

  /**
   * Calls `zg[method](...args, success, error[, extra callbacks])` and resolves with the first callback:
   * `{cb: 'success'|'error'|..., args}`, plus `returned` (the method's return value).
   */
  async call(method, args, callbackNames = ['success', 'error'], { timeoutMs = 15000 } = {}) {
    return this.page.evaluate(
      ({ method, args, callbackNames, timeoutMs }) =>
        new Promise((resolve) => {
          let returned;
          const cbs = callbackNames.map((cb) => (...a) => {
            window.__cbs = window.__cbs || [];
            window.__cbs.push({ method, cb, args: JSON.parse(JSON.stringify(a)) });
            if (cb === 'success' || cb === 'error') resolve({ cb, args: JSON.parse(JSON.stringify(a)), returned });
          });
          returned = window.zg[method](...args, ...cbs);
          if (returned === false) resolve({ cb: null, args: [], returned });
          setTimeout(() => resolve({ cb: 'none', args: [], returned }), timeoutMs);
        }),
      { method, args, callbackNames, timeoutMs },
    );
  }

  /** Calls a method without callbacks and returns its value. */
  async invoke(method, ...args) {
    return this.page.evaluate(({ method, args }) => window.zg[method](...args), { method, args });
  }

  async eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  async events(name) {
    const all = await this.page.evaluate(() => window.__events);
    return name ? all.filter((e) => e.name === name) : all;
  }

  /** Non-method callbacks recorded by call() (e.g. resultCallback). */
  async extraCallbacks(method, cb) {
    const all = await this.page.evaluate(() => window.__cbs || []);
    return all.filter((c) => c.method === method && c.cb === cb);
  }

  /** Waits until a recorded event `name` satisfies `pred(args)` (a function source string over `args`). */
  async waitEvent(name, pred = 'true', timeoutMs = 15000) {
    const handle = await this.page.waitForFunction(
      ({ name, pred }) => {
        const f = new Function('args', `return (${pred});`);
        return window.__events.find((e) => e.name === name && f(e.args)) || false;
      },
      { name, pred },
      { timeout: timeoutMs, polling: 50 },
    );
    return handle.jsonValue();
  }

  async close() {
    await this.page.close();
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
