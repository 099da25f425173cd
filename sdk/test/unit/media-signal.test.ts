import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Logger } from '../../src/logging/logger';
import { SIGNAL_CONNECT_RETRY_MS, SIGNAL_CONNECT_TRIES, SignalPool, type SignalConnection, type SignalIdentity } from '../../src/media/signal';
import type { CreateSessionReq, MediaPush } from '../../src/wire/media';
import { seededRandom } from './helpers/client';

interface Frame {
  header: { version: string; cmd: string; appid: string; seq: number; user_id: string; session_id: number };
  body: Record<string, unknown>;
}

/** A media-signalling socket whose server side the test drives. */
class FakeMediaSocket {
  static all: FakeMediaSocket[] = [];
  static refuse = false;
  readyState = 0;
  onopen: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  sent: Frame[] = [];
  closed = false;
  /** Answers LoginReq and ClientHBReq automatically unless switched off. */
  auto = { login: 0 as number | null, hb: true };

  readonly openedAt = Date.now();

  constructor(readonly url: string) {
    FakeMediaSocket.all.push(this);
    setTimeout(() => {
      if (FakeMediaSocket.refuse) {
        this.readyState = 3;
        this.onclose?.({});
      } else {
        this.readyState = 1;
        this.onopen?.({});
      }
    }, 1);
  }

  send(data: string): void {
    const f = JSON.parse(data) as Frame;
    this.sent.push(f);
    if (f.header.cmd === 'LoginReq' && this.auto.login !== null) this.reply(f, { result: this.auto.login });
    if (f.header.cmd === 'ClientHBReq' && this.auto.hb) this.reply(f, { result: 0, hb_interval: 10000 });
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  reply(req: Frame, body: Record<string, unknown>, headerPatch: Record<string, unknown> = {}): void {
    const header = { ...req.header, cmd: req.header.cmd.replace('Req', 'Rsp'), ...headerPatch };
    setTimeout(() => this.onmessage?.({ data: JSON.stringify({ header, body }) }), 1);
  }

  push(cmd: string, sessionId: number, seq: number, body: Record<string, unknown>, headerPatch: Record<string, unknown> = {}): void {
    const header = { version: '1.0.1', cmd, appid: '42', seq, user_id: 'alice', session_id: sessionId, ...headerPatch };
    this.onmessage?.({ data: JSON.stringify({ header, body }) });
  }

  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }

  of(cmd: string): Frame[] {
    return this.sent.filter((f) => f.header.cmd === cmd);
  }
}

const identity: SignalIdentity = {
  appid: 42,
  idName: 'alice',
  login: () => ({ token: 'tok', roomid: 'r1', anchorname: 'anchor-1' }),
  sdkVersion: '1.12.2',
};

let pool: SignalPool;
let log: Logger;
beforeEach(() => {
  vi.useFakeTimers();
  FakeMediaSocket.all = [];
  FakeMediaSocket.refuse = false;
  (globalThis as unknown as { WebSocket: unknown }).WebSocket = FakeMediaSocket;
  log = new Logger(() => ({ appid: 42, roomid: 'r1', userid: 'alice', userName: 'A', sessionid: '' }));
  log.setLocalLevel(100);
  pool = new SignalPool(identity, log);
});
afterEach(() => {
  vi.useRealTimers();
});

const SESSION_REQ: CreateSessionReq = {
  type: 0,
  stream_id: 's1',
  platform: 'web',
  browser: '',
  version: '1122',
  app_id: 42,
  negotiate_mode: 0,
  strAuthParam: '',
  sdk_version: 1122,
};

function ready(c: SignalConnection): ReturnType<typeof vi.fn> {
  const cb = vi.fn();
  c.whenReady(cb);
  vi.advanceTimersByTime(5);
  return cb;
}

describe('media signalling connection', () => {
  it('logs in with the room token and the ZegoClient media header', () => {
    const c = pool.acquire('ws://h/media');
    const cb = ready(c);
    expect(cb).toHaveBeenCalledWith(null);
    const s = FakeMediaSocket.all[0];
    const [login] = s.of('LoginReq');
    expect(login.header).toEqual({ version: '1.0.1', cmd: 'LoginReq', appid: '42', seq: 1, user_id: 'alice', session_id: 0 });
    expect(login.body).toMatchObject({ token: 'tok', roomid: 'r1', anchorname: 'anchor-1', sdkversion: '1.12.2' });
    expect(pool.connectedUrls()).toEqual(['ws://h/media']);
    // one socket per URL, shared
    const c2 = pool.acquire('ws://h/media');
    expect(c2).toBe(c);
    expect(FakeMediaSocket.all).toHaveLength(1);
  });

  it('a refused login reports token; the connection closes', () => {
    const c = pool.acquire('ws://h/media');
    FakeMediaSocket.all[0].auto.login = 1;
    const cb = ready(c);
    expect(cb).toHaveBeenCalledWith('token');
    expect(c.state).toBe('closed');
  });

  it('connects up to 3 times, ~3 s apart (jittered within [1.5 s, 4.5 s)), then reports socket', () => {
    FakeMediaSocket.refuse = true;
    for (const [r, gap] of [[0.999999, 4500], [0, 1501]] as const) {
      FakeMediaSocket.all = [];
      const c = new SignalPool(identity, log, () => r).acquire('ws://h/media');
      const cb = vi.fn();
      c.whenReady(cb);
      vi.advanceTimersByTime(gap - 1);
      expect(FakeMediaSocket.all).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(FakeMediaSocket.all).toHaveLength(2);
      expect(cb).not.toHaveBeenCalled();
      vi.advanceTimersByTime(gap);
      expect(FakeMediaSocket.all).toHaveLength(3);
      expect(cb).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1); // the third refusal
      expect(cb).toHaveBeenCalledWith('socket');
      expect(FakeMediaSocket.all.slice(1).map((s, i) => s.openedAt - FakeMediaSocket.all[i].openedAt)).toEqual([gap, gap]);
    }
  });

  it('200 clients losing one media server reconnect spread out (seeded jitter), 3 s apart on average', () => {
    FakeMediaSocket.refuse = true;
    const random = seededRandom(7);
    const N = 200;
    const t0 = Date.now();
    for (let i = 0; i < N; i++) new SignalPool(identity, log, random).acquire('ws://h/media').whenReady(vi.fn());
    vi.advanceTimersByTime(10000);
    expect(FakeMediaSocket.all).toHaveLength(N * SIGNAL_CONNECT_TRIES);
    // every first try opened at t0; the second tries (one per client, in the order of the first refusals) must not bunch up
    const second = FakeMediaSocket.all.slice(N, 2 * N).map((s) => s.openedAt - t0);
    const sorted = [...second].sort((a, b) => a - b);
    let crowd = 0;
    for (let i = 0, j = 0; i < N; i++) {
      while (sorted[i] - sorted[j] >= 10) j++;
      crowd = Math.max(crowd, i - j + 1);
    }
    expect(crowd).toBeLessThanOrEqual(10);
    expect(sorted[0]).toBeGreaterThanOrEqual(1 + SIGNAL_CONNECT_RETRY_MS / 2);
    expect(sorted[N - 1]).toBeLessThan(1 + (SIGNAL_CONNECT_RETRY_MS * 3) / 2);
    const mean = second.reduce((a, b) => a + b, 0) / N;
    expect(Math.abs(mean - SIGNAL_CONNECT_RETRY_MS)).toBeLessThan(200);
  });

  it('requests: answer by seq, refusal with result, 5 s timeout', () => {
    const c = pool.acquire('ws://h/media');
    ready(c);
    const s = FakeMediaSocket.all[0];
    const done = vi.fn();
    c.request('CreateSessionReq', 0, SESSION_REQ, done);
    const req = s.of('CreateSessionReq')[0];
    s.reply(req, { result: 0, session_id: 77 });
    vi.advanceTimersByTime(2);
    expect(done).toHaveBeenCalledWith({ ok: true, body: { result: 0, session_id: 77 } });
    const refused = vi.fn();
    c.request('CreateSessionReq', 0, SESSION_REQ, refused);
    s.reply(s.of('CreateSessionReq')[1], { result: 6, strError: 'auth' });
    vi.advanceTimersByTime(2);
    expect(refused).toHaveBeenCalledWith({ ok: false, why: 'result', result: 6, body: { result: 6, strError: 'auth' } });
    const late = vi.fn();
    c.request('MediaDescReq', 77, { type: 0, sdp: 'x' }, late);
    vi.advanceTimersByTime(4999);
    expect(late).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2);
    expect(late).toHaveBeenCalledWith({ ok: false, why: 'timeout' });
  });

  it('pushes go to their session and are acknowledged; frames for another user are dropped', () => {
    const c = pool.acquire('ws://h/media');
    ready(c);
    const s = FakeMediaSocket.all[0];
    const onPush = vi.fn();
    const onSocketClosed = vi.fn();
    c.attach(77, { onPush, onSocketClosed });
    s.push('MediaDescPush', 77, 5, { type: 1, sdp: 'answer' });
    expect(onPush).toHaveBeenCalledWith({ cmd: 'MediaDescPush', body: { type: 1, sdp: 'answer' } });
    const [ack] = s.of('MediaDescAck');
    expect(ack.header).toMatchObject({ cmd: 'MediaDescAck', seq: 5, session_id: 77, appid: '42', user_id: 'alice' });
    s.push('StreamStatusNotifyPush', 77, 6, { camera_status: 2, mic_status: 0 });
    expect(onPush).toHaveBeenCalledTimes(2);
    expect(s.of('StreamStatusNotifyAck')).toHaveLength(0);
    s.push('StreamStatusNotifyPush', 77, 7, { camera_status: 0 }, { user_id: 'mallory' });
    s.push('StreamStatusNotifyPush', 77, 8, { camera_status: 0 }, { appid: '43' });
    s.push('StreamStatusNotifyPush', 78, 9, { camera_status: 0 });
    expect(onPush).toHaveBeenCalledTimes(2);
    s.push('CloseSessionPush', 77, 10, { reason: 26 });
    expect(s.of('CloseSessionAck')).toHaveLength(1);
  });

  it('heartbeats every 10 s while sessions exist; more than 5 misses drop the socket', () => {
    const c = pool.acquire('ws://h/media');
    ready(c);
    const s = FakeMediaSocket.all[0];
    vi.advanceTimersByTime(30000);
    expect(s.of('ClientHBReq')).toHaveLength(0);
    const onSocketClosed = vi.fn();
    c.attach(77, { onPush: vi.fn(), onSocketClosed });
    vi.advanceTimersByTime(10000);
    expect(s.of('ClientHBReq')).toHaveLength(1);
    expect(s.of('ClientHBReq')[0].body).toEqual({ session_ids: [77] });
    vi.advanceTimersByTime(10000);
    expect(s.of('ClientHBReq')).toHaveLength(2);
    s.auto.hb = false;
    vi.advanceTimersByTime(60000);
    expect(onSocketClosed).not.toHaveBeenCalled();
    vi.advanceTimersByTime(6000);
    expect(onSocketClosed).toHaveBeenCalledTimes(1);
    expect(c.state).toBe('closed');
    expect(s.closed).toBe(true);
  });

  it('a dropped socket tells every session; the last release closes the connection', () => {
    const c = pool.acquire('ws://h/media');
    ready(c);
    const l1 = { onPush: vi.fn(), onSocketClosed: vi.fn() };
    const l2 = { onPush: vi.fn(), onSocketClosed: vi.fn() };
    c.attach(1, l1);
    c.attach(2, l2);
    const pending = vi.fn();
    c.request('CandidateInfoReq', 1, { infos: [] }, pending);
    FakeMediaSocket.all[0].drop();
    expect(l1.onSocketClosed).toHaveBeenCalled();
    expect(l2.onSocketClosed).toHaveBeenCalled();
    expect(pending).toHaveBeenCalledWith({ ok: false, why: 'closed' });
    expect(pool.connectedUrls()).toEqual([]);
    // a new acquire opens a new socket
    const c2 = pool.acquire('ws://h/media');
    expect(c2).not.toBe(c);
    ready(c2);
    c2.acquire();
    c2.release();
    expect(c2.state).toBe('ready');
    c2.release();
    expect(c2.state).toBe('closed');
    expect(FakeMediaSocket.all[1].closed).toBe(true);
  });

  it('only the protocol\'s pushes reach a session (and only the acknowledged ones are acknowledged)', () => {
    const c = pool.acquire('ws://h/media');
    ready(c);
    const s = FakeMediaSocket.all[0];
    const onPush = vi.fn();
    c.attach(77, { onPush, onSocketClosed: vi.fn() });
    s.push('SurprisePush', 77, 5, { anything: 1 });
    expect(onPush).not.toHaveBeenCalled();
    expect(s.of('SurpriseAck')).toHaveLength(0);
    s.push('PlayEventPush', 77, 6, { event: 0, stream_id: 's' });
    expect(onPush).toHaveBeenCalledWith({ cmd: 'PlayEventPush', body: { event: 0, stream_id: 's' } });
    expect(s.of('PlayEventAck')).toHaveLength(0);
  });

  it('requests, answers and pushes are typed by their command (tsc --strict checks these lines)', () => {
    const c = pool.acquire('ws://h/media');
    ready(c);
    const s = FakeMediaSocket.all[0];
    const intervals: number[] = [];
    c.request('ClientHBReq', 0, { session_ids: [77] }, (r) => {
      if (r.ok) intervals.push(r.body.hb_interval);
    });
    vi.advanceTimersByTime(2);
    expect(intervals).toEqual([10000]);
    const answers: string[] = [];
    const push = (p: MediaPush) => {
      if (p.cmd === 'MediaDescPush') answers.push(p.body.sdp);
    };
    c.attach(77, { onPush: push, onSocketClosed: vi.fn() });
    s.push('MediaDescPush', 77, 5, { type: 1, sdp: 'v=0' });
    expect(answers).toEqual(['v=0']);
    const ignore = () => undefined;
    // @ts-expect-error a command the protocol does not have
    c.request('FooReq', 0, {}, ignore);
    // @ts-expect-error session ids are numbers on the wire
    c.request('ClientHBReq', 0, { session_ids: ['77'] }, ignore);
    // @ts-expect-error the wire's name is strAuthParam
    c.request('CreateSessionReq', 0, { ...SESSION_REQ, streamParams: 'x' }, ignore);
    // @ts-expect-error a notification gets no answer
    c.request('StreamStatusNotify', 77, { camera_status: 0, mic_status: 0 }, ignore);
    // @ts-expect-error camera and microphone status are numbers (0 on, 2 off)
    c.notify('StreamStatusNotify', 77, { camera_status: true, mic_status: 0 });
  });
});
