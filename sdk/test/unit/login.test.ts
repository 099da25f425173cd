import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKUP, loginNow, newClient, RELOGIN_MS, SERVER, seededRandom, setup } from './helpers/client';
import type { FakeRoomServer, FakeWebSocket, Frame } from './helpers/fake-server';
import { DEFAULT_RECONNECT_MAX_ATTEMPTS, DEFAULT_RECONNECT_MAX_DELAY_MS, LOGIN_ATTEMPT_TIMEOUT_MS } from '../../src/room/login-retry';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** Gaps between consecutive socket openings (ms). */
function gaps(socks: FakeWebSocket[]): number[] {
  return socks.slice(1).map((s, i) => s.openedAt - socks[i].openedAt);
}

describe('login', () => {
  it('sends the login body of notes §1.3 and reports the stream list without own stale streams', () => {
    const zg = newClient('alice');
    zg.setUserStateUpdate(true);
    server.handlers.login = (f) =>
      server.loginOk(f, {
        stream_seq: 7,
        stream_info: [
          { stream_id: 's-bob', anchor_id_name: 'bob', anchor_nick_name: 'Bob', extra_info: 'x', urls_m3u8: ['http://h/a.m3u8'] },
          { stream_id: 's-stale', anchor_id_name: 'alice', anchor_nick_name: 'A', extra_info: '' },
        ],
        anchor_info: { anchor_id: '9', anchor_id_name: 'bob', anchor_nick_name: 'Bob' },
        online_count: 3,
      });
    const anchor = vi.fn();
    const online = vi.fn();
    zg.onGetAnchorInfo = anchor;
    zg.onUpdateOnlineCount = online;
    const { success } = loginNow(zg, 'room-1');
    const login = server.sentOf('login')[0];
    expect(login.header).toMatchObject({ Protocol: 'req', cmd: 'login', appid: 42, seq: 1, user_id: '', session_id: '', room_id: 'room-1' });
    expect(login.body).toEqual({
      id_name: 'alice',
      nick_name: 'alice-nick',
      role: 1,
      token: 'token',
      version: ZegoClientVersion(),
      room_name: 'room-1',
      user_state_flag: 1,
      room_create_flag: 1,
      client_type: 3,
      third_token: '',
    });
    const list = success.mock.calls[0][0];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ stream_id: 's-bob', anchor_id_name: 'bob', anchor_nick_name: 'Bob', extra_info: 'x', urls_hls: ['http://h/a.m3u8'] });
    expect(anchor).toHaveBeenCalledWith('bob', 'Bob');
    expect(online).toHaveBeenCalledWith('room-1', 3);
    // the stale own stream is ended in the room
    const ends = server.sentOf('stream');
    expect(ends).toHaveLength(1);
    expect(ends[0].body.sub_cmd).toBe(2002);
    expect(JSON.parse(ends[0].body.stream_msg as string)).toEqual({ stream_id: 's-stale', extra_info: '' });
    // heartbeat right after login, user list fetched, later requests carry the session ids
    const hb = server.sentOf('hb');
    expect(hb).toHaveLength(1);
    expect(hb[0].header).toMatchObject({ user_id: server.session.user_id, session_id: server.session.session_id, room_id: 'room-1' });
    expect(server.sentOf('user_list')).toHaveLength(1);
  });

  it('loginWithAuthor fills third_token and audienceCreateRoom:false clears room_create_flag', () => {
    const zg = newClient('alice');
    zg.config({ appid: 42, server: SERVER, idName: 'alice', nickName: 'n', logLevel: 100, audienceCreateRoom: false });
    const ok = vi.fn();
    expect(zg.loginWithAuthor('r', 2, 't', 'third', ok, vi.fn())).toBe(true);
    vi.advanceTimersByTime(5);
    expect(server.sentOf('login')[0].body).toMatchObject({ third_token: 'third', room_create_flag: 0, role: 2, user_state_flag: 0 });
    expect(ok).toHaveBeenCalledTimes(1);
  });

  it('retries with jittered exponential backoff, alternating servers, then fails with login timeout', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const zg = newClient('alice', [SERVER, BACKUP]);
    expect(zg.config({ appid: 42, server: [SERVER, BACKUP], idName: 'alice', nickName: 'a', logLevel: 100, reconnectMaxAttempts: 5 })).toBe(true);
    server.down.add(SERVER);
    server.down.add(BACKUP);
    const ok = vi.fn();
    const err = vi.fn();
    const t0 = Date.now();
    zg.login('r', 1, 't', ok, err);
    // attempt 1 at once; each refusal (1 ms) is followed by a wait of 0.5 × 1 s, 2 s, 4 s, 8 s
    vi.advanceTimersByTime(7504);
    expect(server.sockets.map((s) => s.url)).toEqual([SERVER, BACKUP, SERVER, BACKUP, SERVER]);
    expect(server.sockets.map((s) => s.openedAt - t0)).toEqual([0, 501, 1502, 3503, 7504]);
    expect(err).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1); // the 5th attempt is refused: given up at once
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Timeout', msg: 'login timeout.' });
    expect(ok).not.toHaveBeenCalled();
    expect(zg.logout()).toBe(false);
    vi.advanceTimersByTime(60000);
    expect(server.sockets).toHaveLength(5);
  });

  it('defaults: 12 attempts, no wait longer than 10 s', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    const zg = newClient('alice');
    server.down.add(SERVER);
    const err = vi.fn();
    zg.login('r', 1, 't', vi.fn(), err);
    vi.advanceTimersByTime(200000);
    expect(server.sockets).toHaveLength(DEFAULT_RECONNECT_MAX_ATTEMPTS);
    // waits (the largest the jitter gives) + 1 ms for each refusal
    expect(gaps(server.sockets)).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000, 10000, 10000, 10000]);
    expect(Math.max(...gaps(server.sockets))).toBeLessThanOrEqual(DEFAULT_RECONNECT_MAX_DELAY_MS);
    expect(err).toHaveBeenCalledTimes(1);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Timeout', msg: 'login timeout.' });
  });

  it('reconnectMaxDelayMs caps every wait and reconnectMaxAttempts the attempts', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    const zg = newClient('alice');
    expect(zg.config({ appid: 42, server: SERVER, idName: 'alice', nickName: 'a', logLevel: 100, reconnectMaxAttempts: 7, reconnectMaxDelayMs: 3000 })).toBe(true);
    server.down.add(SERVER);
    const err = vi.fn();
    zg.login('r', 1, 't', vi.fn(), err);
    vi.advanceTimersByTime(200000);
    expect(gaps(server.sockets)).toEqual([1000, 2000, 3000, 3000, 3000, 3000]);
    expect(err).toHaveBeenCalledTimes(1);
  });

  it('an attempt without an answer fails after LOGIN_ATTEMPT_TIMEOUT_MS; the next resends login on the open socket', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const zg = newClient('alice');
    let answer = false;
    server.handlers.login = (f) => (answer ? server.loginOk(f) : null);
    const ok = vi.fn();
    zg.login('r', 1, 't', ok, vi.fn());
    vi.advanceTimersByTime(LOGIN_ATTEMPT_TIMEOUT_MS + 499);
    expect(server.sentOf('login')).toHaveLength(1);
    answer = true;
    vi.advanceTimersByTime(5);
    expect(server.sentOf('login')).toHaveLength(2);
    expect(server.sockets).toHaveLength(1);
    expect(ok).toHaveBeenCalledTimes(1);
  });

  it('config validates reconnectMaxAttempts and reconnectMaxDelayMs', () => {
    const zg = newClient('alice');
    const cfg = (extra: Record<string, unknown>) => zg.config({ appid: 42, server: SERVER, idName: 'a', nickName: 'a', logLevel: 100, ...extra });
    for (const v of [0, -1, 1.5, 1001, '3', NaN, Infinity, true]) expect(cfg({ reconnectMaxAttempts: v })).toBe(false);
    for (const v of [99, 300001, '1000', NaN, Infinity, -5]) expect(cfg({ reconnectMaxDelayMs: v })).toBe(false);
    expect(cfg({ reconnectMaxAttempts: 1, reconnectMaxDelayMs: 100 })).toBe(true);
    expect(zg._room.reconnect).toEqual({ maxAttempts: 1, maxDelayMs: 100 });
    expect(cfg({ reconnectMaxAttempts: 1000, reconnectMaxDelayMs: 300000 })).toBe(true);
    // a config() without them goes back to the defaults
    expect(cfg({})).toBe(true);
    expect(zg._room.reconnect).toEqual({ maxAttempts: DEFAULT_RECONNECT_MAX_ATTEMPTS, maxDelayMs: DEFAULT_RECONNECT_MAX_DELAY_MS });
  });

  it('logs in through the backup server when the primary is down', () => {
    const zg = newClient('alice', [SERVER, BACKUP]);
    server.down.add(SERVER);
    const ok = vi.fn();
    zg.login('r', 1, 't', ok, vi.fn());
    vi.advanceTimersByTime(1005); // refused, a wait under 1 s, attempt 2 on the backup
    expect(ok).toHaveBeenCalledTimes(1);
    expect(server.last.url).toBe(BACKUP);
    // config cannot change the identity in the middle of a session
    expect(zg.config({ appid: 7, server: SERVER, idName: 'x', nickName: 'x', logLevel: 100 })).toBe(false);
    zg.logout();
    expect(zg.config({ appid: 7, server: SERVER, idName: 'x', nickName: 'x', logLevel: 100 })).toBe(true);
  });

  it('keeps trying after err 1002/1003 (and rate limited) and succeeds on a later attempt over the open socket', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const zg = newClient();
    let n = 0;
    server.handlers.login = (f) => {
      n++;
      if (n === 1) return { err_code: 1002, err_message: 'x' };
      if (n === 2) return { err_code: 1003, err_message: 'x' };
      if (n === 3) return { err_code: 1000000003, err_message: 'rate limited' };
      return server.loginOk(f);
    };
    const ok = vi.fn();
    const err = vi.fn();
    zg.login('r', 1, 't', ok, err);
    // each "keep trying" answer (2 ms after the send) is followed by a wait of 0.5 × 1 s, 2 s, 4 s
    vi.advanceTimersByTime(5);
    expect(server.sentOf('login')).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(server.sentOf('login')).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(server.sentOf('login')).toHaveLength(3);
    expect(ok).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    expect(ok).toHaveBeenCalledTimes(1);
    expect(err).not.toHaveBeenCalled();
    expect(server.sockets).toHaveLength(1); // resent on the open socket
    expect(server.sentOf('login').map((f) => f.header.seq)).toEqual([1, 2, 3, 4]);
  });

  it('stops at a fatal login error and reports it mapped (token error)', () => {
    const zg = newClient();
    server.handlers.login = () => ({ err_code: 1008, err_message: 'token error' });
    const err = vi.fn();
    zg.login('r', 1, 't', vi.fn(), err);
    vi.advanceTimersByTime(5);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'token error' });
    vi.advanceTimersByTime(60000);
    expect(server.sentOf('login')).toHaveLength(1);
  });

  it('ignores a late answer to an earlier login attempt', () => {
    const zg = newClient();
    const delayed: Frame[] = [];
    server.handlers.login = (f) => {
      delayed.push(f);
      return null;
    };
    const ok = vi.fn();
    zg.login('r', 1, 't', ok, vi.fn());
    vi.advanceTimersByTime(LOGIN_ATTEMPT_TIMEOUT_MS + 1005); // unanswered: a wait under 1 s, the second attempt sent
    expect(delayed).toHaveLength(2);
    const sock = server.last;
    const stale = server.loginOk(delayed[0]);
    sock.deliver({ header: server.rspHeader('login', delayed[0].header.seq), body: stale });
    expect(ok).not.toHaveBeenCalled();
    sock.deliver({ header: server.rspHeader('login', delayed[1].header.seq), body: server.loginOk(delayed[1]) });
    expect(ok).toHaveBeenCalledTimes(1);
  });

  it('calls the error callback with a param error when config() never succeeded', () => {
    const { ZegoClient } = ZC;
    const zg = new ZegoClient();
    const err = vi.fn();
    expect(zg.login('r', 1, 't', vi.fn(), err)).toBe(false);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Param', msg: 'config is not set.' });
    expect(server.sockets).toHaveLength(0);
  });

  it('a second login() first resets the current session (logout sent)', () => {
    const zg = newClient();
    loginNow(zg, 'r1');
    const first = server.last;
    loginNow(zg, 'r2');
    expect(first.sent.some((f) => f.header.cmd === 'logout')).toBe(true);
    expect(first.readyState).toBe(3);
    expect(server.sentOf('login').at(-1)!.header.room_id).toBe('r2');
  });
});

describe('re-login after a dropped connection', () => {
  it('re-logs in, diffs the stream list into callbacks, refetches users, and does not call login success again', () => {
    const zg = newClient('alice');
    zg.setUserStateUpdate(true);
    const s = (id: string, extra = '') => ({ stream_id: id, anchor_id_name: 'bob', anchor_nick_name: 'Bob', extra_info: extra });
    server.handlers.login = (f) => server.loginOk(f, { stream_seq: 3, stream_info: [s('a'), s('b', 'old')] });
    server.handlers.user_list = () => ({ err_code: 0, ret_user_index: 1, server_user_index: 1, server_user_seq: 4, user_baseinfos: [{ id_name: 'alice', nick_name: 'A', role: 1 }] });
    const total = vi.fn();
    zg.onGetTotalUserList = total;
    const { success } = loginNow(zg);
    vi.advanceTimersByTime(5);
    expect(total).toHaveBeenCalledTimes(1);
    const updated = vi.fn();
    const extra = vi.fn();
    const disc = vi.fn();
    zg.onStreamUpdated = updated;
    zg.onStreamExtraInfoUpdated = extra;
    zg.onDisconnect = disc;
    const pendingErr = vi.fn();
    server.handlers.custommsg = () => null; // never answered
    zg.sendCustomCommand(['bob'], 'hi', vi.fn(), pendingErr);
    server.handlers.login = (f) => server.loginOk(f, { stream_seq: 9, stream_info: [s('b', 'new'), s('c')] });
    const oldSession = server.session.session_id;
    server.last.drop();
    // pending requests fail at once with the reset timeout
    expect(pendingErr).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Timeout', msg: 'msg waiting ack is clear when reset.' }, expect.any(Number), 'hi');
    vi.advanceTimersByTime(RELOGIN_MS);
    expect(server.sockets).toHaveLength(2);
    expect(server.session.session_id).not.toBe(oldSession);
    expect(success).toHaveBeenCalledTimes(1);
    expect(updated).toHaveBeenCalledWith(0, [expect.objectContaining({ stream_id: 'c' })]);
    expect(updated).toHaveBeenCalledWith(1, [expect.objectContaining({ stream_id: 'a' })]);
    expect(extra).toHaveBeenCalledWith([expect.objectContaining({ stream_id: 'b', extra_info: 'new' })]);
    expect(total).toHaveBeenCalledTimes(2);
    expect(disc).not.toHaveBeenCalled();
    // requests after re-login carry the new session
    zg.sendRoomMsg(1, 1, 'x', vi.fn(), vi.fn());
    expect(server.sentOf('im_chat')[0].header.session_id).toBe(server.session.session_id);
  });

  it('reports onDisconnect(Network) when the re-login retries are exhausted', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const zg = newClient();
    expect(zg.config({ appid: 42, server: SERVER, idName: 'alice', nickName: 'a', logLevel: 100, reconnectMaxAttempts: 4 })).toBe(true);
    loginNow(zg);
    const disc = vi.fn();
    zg.onDisconnect = disc;
    server.down.add(SERVER);
    const t0 = Date.now();
    server.last.drop();
    // a re-login waits before its first attempt too: 0.5 × 1 s, 2 s, 4 s, 8 s (+1 ms per refusal)
    vi.advanceTimersByTime(500 + 1001 + 2001 + 4001);
    expect(server.sockets.slice(1).map((s) => s.openedAt - t0)).toEqual([500, 1501, 3502, 7503]);
    expect(disc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(disc).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Network', msg: 'network is broken and login fail.' });
    expect(server.sockets).toHaveLength(5);
    expect(zg.logout()).toBe(false);
  });

  it('200 clients dropped in the same millisecond re-login spread out (seeded jitter), and all give up at the cap', () => {
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(13));
    const N = 200;
    const urls = Array.from({ length: N }, (_, i) => `ws://c${i}.test/ws`);
    const clients = urls.map((url, i) => {
      const zg = newClient(`u${i}`, url);
      loginNow(zg);
      return zg;
    });
    const disc = clients.map((zg) => {
      const f = vi.fn();
      zg.onDisconnect = f;
      return f;
    });
    const before = server.sockets.length;
    for (const u of urls) server.down.add(u);
    const t0 = Date.now();
    for (const s of server.sockets.slice(0, before)) s.drop(); // a server restart: every socket at once
    vi.advanceTimersByTime(200000);
    const attempts = urls.map((u) => server.sockets.slice(before).filter((s) => s.url === u));
    for (const a of attempts) {
      expect(a).toHaveLength(DEFAULT_RECONNECT_MAX_ATTEMPTS);
      expect(Math.max(...gaps(a))).toBeLessThanOrEqual(DEFAULT_RECONNECT_MAX_DELAY_MS + 1);
    }
    for (let k = 0; k < DEFAULT_RECONNECT_MAX_ATTEMPTS; k++) {
      const times = attempts.map((a) => a[k].openedAt - t0).sort((x, y) => x - y);
      // spread over the window, not within 10 ms of each other: at most a handful in any 10 ms
      expect(times[N - 1] - times[0]).toBeGreaterThan(500);
      let crowd = 0;
      for (let i = 0, j = 0; i < N; i++) {
        while (times[i] - times[j] >= 10) j++;
        crowd = Math.max(crowd, i - j + 1);
      }
      expect(crowd, `attempt ${k + 1}: ${crowd} clients within 10 ms`).toBeLessThanOrEqual(10);
    }
    // every client gave up once, after its last attempt, with the re-login error
    for (const f of disc) expect(f.mock.calls).toEqual([[{ code: 'ZegoClient.Error.Network', msg: 'network is broken and login fail.' }]]);
    const gaveUp = attempts.map((a) => a[a.length - 1].openedAt - t0);
    expect(Math.max(...gaveUp) - Math.min(...gaveUp)).toBeGreaterThan(5000);
  });

  it('a fatal error on re-login goes to onDisconnect', () => {
    const zg = newClient();
    loginNow(zg);
    const disc = vi.fn();
    zg.onDisconnect = disc;
    server.handlers.login = () => ({ err_code: 1000000014 });
    server.last.drop();
    vi.advanceTimersByTime(RELOGIN_MS);
    expect(disc).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'liveroom cmd error, result=1000000014' });
  });
});

describe('kick-out and logout', () => {
  it('push_kickout resets the room and calls onKickOut', () => {
    const zg = newClient();
    loginNow(zg);
    const kick = vi.fn();
    zg.onKickOut = kick;
    server.push('push_kickout', { reason: 1, err_message: 'logged in elsewhere' });
    expect(kick).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Kickout', msg: 'kickout reason=1' });
    expect(server.last.readyState).toBe(3);
    expect(zg.logout()).toBe(false);
    expect(zg.sendRoomMsg(1, 1, 'x', vi.fn(), vi.fn())).toBe(false);
  });

  it('logout sends logout, closes the socket, and a second logout returns false', () => {
    const zg = newClient();
    loginNow(zg);
    const sock = server.last;
    expect(zg.logout()).toBe(true);
    expect(sock.sent.at(-1)!.header.cmd).toBe('logout');
    expect(sock.readyState).toBe(3);
    expect(zg.logout()).toBe(false);
    vi.advanceTimersByTime(120000);
    expect(server.sentOf('hb')).toHaveLength(1);
  });

  it('drops frames that are not addressed to the current session', () => {
    const zg = newClient();
    loginNow(zg);
    const msg = vi.fn();
    zg.onRecvRoomMsg = msg;
    server.last.deliver({ header: { protocol: 'push', cmd: 'push_im_chat', ...server.session, session_id: 'other' }, body: { chat_data: [] } });
    server.last.deliver({ header: { protocol: 'push', cmd: 'push_im_chat', ...server.session, appid: '42' }, body: { chat_data: [] } });
    expect(msg).not.toHaveBeenCalled();
    server.push('push_im_chat', { chat_data: [], server_msg_id: 1, ret_msg_id: 1 });
    expect(msg).toHaveBeenCalledTimes(1);
  });
});

import * as ZC from '../../src/zego-client';
function ZegoClientVersion(): string {
  return ZC.ZegoClient.getCurrentVersion();
}
