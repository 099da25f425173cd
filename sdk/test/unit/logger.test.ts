import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatLogLine, formatLogTime } from '../../src/logging/format';
import { normalizeLevel } from '../../src/logging/levels';
import { Logger } from '../../src/logging/logger';
import { HttpLogSink, packFrames, WebSocketLogSink, WS_CACHE_LINES } from '../../src/logging/remote-log';
import { loginNow, newClient, setup } from './helpers/client';
import { FakeRoomServer, FakeWebSocket } from './helpers/fake-server';

const ctx = () => ({ appid: 42, roomid: 'r1', userid: 'u1', userName: 'alice', sessionid: 's1' });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date(2026, 0, 2, 3, 4, 5, 6));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('log format (notes §9)', () => {
  it('formats the time and splits the action from the content', () => {
    expect(formatLogTime(Date.now())).toBe('2026/01/02 03:04:05.006');
    expect(JSON.parse(formatLogLine(Date.now(), 1, 'zc.login.start roomid=r1 x', ctx()))).toEqual({
      time: '2026/01/02 03:04:05.006',
      level: 1,
      action: 'zc.login.start',
      content: 'roomid=r1 x',
      appid: 42,
      roomid: 'r1',
      userid: 'u1',
      userName: 'alice',
      sessionid: 's1',
    });
  });

  it('cuts content to 4500 characters; 99 means report (98)', () => {
    const line = JSON.parse(formatLogLine(0, 0, 'a ' + 'x'.repeat(5000), ctx()));
    expect(line.content).toHaveLength(4500);
    expect(normalizeLevel(99)).toBe(98);
    expect(normalizeLevel(3)).toBe(3);
  });
});

describe('console levels', () => {
  it('prints at or above the local level; 100 disables', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    const log = new Logger(ctx);
    log.setLocalLevel(2);
    log.debug('a.b x');
    log.info('a.b x');
    log.warn('a.b y');
    expect(debug).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
    log.setLocalLevel(100);
    log.warn('a.b z');
    log.report({ itemtype: 'x' }, 'alice', '1');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(info).not.toHaveBeenCalled();
  });
});

describe('remote logging', () => {
  it('no collector is contacted unless a log URL is given', () => {
    new FakeRoomServer();
    const fetchSpy = vi.fn();
    vi.stubGlobal('fetch', fetchSpy);
    const log = new Logger(ctx);
    log.setLocalLevel(100);
    for (let i = 0; i < 200; i++) log.error('a.b c');
    vi.advanceTimersByTime(60000);
    expect(FakeRoomServer.current.sockets).toHaveLength(0);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(log.remoteUrl).toBeNull();
  });

  it('ws: caches at most 100 lines while closed, flushes them in frames ≤4000 chars, then one frame per line', () => {
    const server = new FakeRoomServer();
    server.down.add('ws://logs.test/log');
    const sink = new WebSocketLogSink('ws://logs.test/log');
    for (let i = 0; i < 150; i++) sink.push(`line-${i}-${'x'.repeat(60)}`, false);
    expect(sink.cachedLines).toHaveLength(WS_CACHE_LINES);
    expect(sink.cachedLines[0]).toMatch(/^line-50-/);
    vi.advanceTimersByTime(10);
    server.down.clear();
    vi.advanceTimersByTime(5000);
    sink.push('trigger', false); // lazily reopens
    vi.advanceTimersByTime(5);
    const sock = server.last;
    expect(server.sockets).toHaveLength(2);
    expect(sock.raw.length).toBe(2);
    for (const frame of sock.raw) expect(frame.length).toBeLessThanOrEqual(4000);
    const lines = sock.raw.join('\n').split('\n');
    expect(lines).toHaveLength(100);
    expect(lines[0]).toMatch(/^line-51-/);
    expect(lines[99]).toBe('trigger');
    sink.push('after-open', false);
    expect(sock.raw.at(-1)).toBe('after-open');
    sink.stop();
    expect(sock.readyState).toBe(3);
  });

  it('packFrames joins lines with \\n up to the frame size', () => {
    expect(packFrames(['aa', 'bb', 'cc'], 5)).toEqual(['aa\nbb', 'cc']);
    expect(packFrames(['toolongline', 'x'], 5)).toEqual(['toolongline', 'x']);
    expect(packFrames([], 5)).toEqual([]);
  });

  it('http: POSTs every 10 s, at 100 lines, and at once for reports; honours {interval}', async () => {
    const bodies: string[] = [];
    const fetchSpy = vi.fn(async (_url: string, init: { body: string }) => {
      bodies.push(init.body);
      return { ok: true, text: async () => JSON.stringify({ interval: 2000 }) };
    });
    vi.stubGlobal('fetch', fetchSpy);
    const sink = new HttpLogSink('http://logs.test/log');
    sink.push('a', false);
    sink.push('b', false);
    expect(fetchSpy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10000);
    expect(bodies).toEqual(['a\nb']);
    await vi.advanceTimersByTimeAsync(0); // the {interval} answer is applied
    expect(sink.interval).toBe(2000);
    sink.push('r', true);
    expect(bodies[1]).toBe('r');
    for (let i = 0; i < 100; i++) sink.push(String(i), false);
    expect(bodies).toHaveLength(3);
    expect(bodies[2].split('\n')).toHaveLength(100);
    sink.push('late', false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(bodies[3]).toBe('late');
    sink.stop();
  });

  it('the login reply config_info opens the collector and sets the remote level', () => {
    const server = setup();
    const zg = newClient('alice');
    server.handlers.login = (f) => server.loginOk(f, { config_info: { log_level: 2, log_url: 'ws://logs.test/log' } });
    loginNow(zg);
    expect(zg._log.remoteUrl).toBe('ws://logs.test/log');
    vi.advanceTimersByTime(5);
    const logSock = server.sockets.find((s) => s.url === 'ws://logs.test/log') as FakeWebSocket;
    expect(logSock).toBeDefined();
    const before = logSock.raw.length;
    zg._log.info('zc.test below the remote level');
    zg._log.warn('zc.test hello world');
    expect(logSock.raw.length).toBe(before + 1);
    expect(JSON.parse(logSock.raw.at(-1)!)).toMatchObject({
      level: 2,
      action: 'zc.test',
      content: 'hello world',
      appid: 42,
      roomid: 'r1',
      userid: 'alice',
      userName: 'alice-nick',
      sessionid: server.session.session_id,
    });
    zg.release();
    expect(zg._log.remoteUrl).toBeNull();
  });
});
