// End-to-end harness for the demo console: the real liveroom server (spawned, serving the console embedded in the
// binary) and Debian's Chromium driven by playwright-core with fake camera and microphone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = join(here, '..');
export const OUTPUT_DIR = join(WEB_ROOT, 'test-output');
export const SERVER_BIN = process.env.LIVEROOM_BIN || '/var/tmp/liveroom-target/debug/liveroom';
export const CHROMIUM = process.env.LIVEROOM_CHROMIUM || '/usr/bin/chromium';

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

/** Every listener but HTTP on a free port: the defaults are fixed ports and may be taken. */
const SERVER_ENV = {
  LIVEROOM_RTC__LISTEN: '127.0.0.1:0',
  LIVEROOM_TURN__LISTEN: '127.0.0.1:0',
  LIVEROOM_METRICS__LISTEN: '127.0.0.1:0',
};

/** Starts `liveroom --dev --http 127.0.0.1:0`; resolves once it printed its JSON ready line. */
export async function startServer() {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(
      `no server binary at ${SERVER_BIN}: build it (npm --prefix sdk run build && CARGO_TARGET_DIR=/var/tmp/liveroom-target cargo build -p liveroom-server) or set LIVEROOM_BIN`,
    );
  }
  // The server refuses LIVEROOM_* variables that are no configuration key (like this harness's own switches).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVEROOM_') || k.includes('__')));
  const proc = spawn(SERVER_BIN, ['--dev', '--http', '127.0.0.1:0'], {
    env: { ...env, ...SERVER_ENV, LIVEROOM_LOG__LEVEL: process.env.LIVEROOM_TEST_SERVER_LOG || 'warn' },
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
        if (ev.event === 'ready' && ev.http) {
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
    http: ready.http,
    url: `http://${ready.http}/`,
    stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Chromium with a fresh profile. */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'liveroom-console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    // Pages fulfilled from disk have no address space, so loopback sockets would count as local-network access.
    args: process.env.LIVEROOM_CONSOLE_FROM_DISK === '1' ? [...CHROMIUM_ARGS, '--disable-features=LocalNetworkAccessChecks'] : CHROMIUM_ARGS,
    viewport: { width: 1366, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A console page. With LIVEROOM_CONSOLE_FROM_DISK=1 the console's own files come from web/ on disk instead of the
 * binary (to iterate on the page without rebuilding the server); the SDK, /token and /ws stay the server's.
 */
export async function openConsole(context, server, { viewport, query = '' } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = [];
  const consoleLines = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}\n${e.stack}`));
  page.on('console', (m) => {
    consoleLines.push(`[${m.type()}] ${m.text()}`);
    if (process.env.LIVEROOM_TEST_VERBOSE) console.log(`[page] ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.host !== server.http) problems.push(`external request: ${r.url()}`);
  });
  if (process.env.LIVEROOM_CONSOLE_FROM_DISK === '1') {
    const types = { html: 'text/html', js: 'application/javascript', css: 'text/css', svg: 'image/svg+xml', png: 'image/png' };
    await page.route(/\/(console\/[^/?]+)?(\?.*)?$/, (route) => {
      const u = new URL(route.request().url());
      if (u.host !== server.http) return route.continue();
      const name = u.pathname === '/' ? 'index.html' : u.pathname.startsWith('/console/') ? u.pathname.slice('/console/'.length) : null;
      if (name === null) return route.continue();
      const file = join(WEB_ROOT, name);
      if (!existsSync(file)) return route.fulfill({ status: 404, body: 'no such file' });
      return route.fulfill({ status: 200, contentType: types[name.split('.').pop()] || 'application/octet-stream', body: readFileSync(file) });
    });
  }
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => window.zg !== undefined, null, { timeout: 10000 });
  return { page, problems, consoleLines };
}

export function outputPath(name) {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, name);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
