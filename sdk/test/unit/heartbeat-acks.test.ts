import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loginNow, newClient, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';
import { AckQueue } from '../../src/room/ack-queue';
import { clampHeartbeatInterval } from '../../src/room/heartbeat';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('heartbeat', () => {
  it('clamps the server interval to at least 3 s, default 30 s', () => {
    expect(clampHeartbeatInterval(1000)).toBe(3000);
    expect(clampHeartbeatInterval(5000)).toBe(5000);
    expect(clampHeartbeatInterval(undefined)).toBe(30000);
    expect(clampHeartbeatInterval(0)).toBe(30000);
  });

  it('sends the first hb at login, then one per interval, and reports online count on every answer', () => {
    const zg = newClient();
    server.handlers.login = (f) => server.loginOk(f, { hearbeat_interval: 1000, online_count: 0 });
    server.handlers.hb = () => server.hbBody({ hearbeat_interval: 1000, online_count: 5 });
    const online = vi.fn();
    zg.onUpdateOnlineCount = online;
    loginNow(zg);
    expect(server.sentOf('hb')).toHaveLength(1);
    expect(server.sentOf('hb')[0].body).toEqual({ reserve: 0 });
    vi.advanceTimersByTime(2990);
    expect(server.sentOf('hb')).toHaveLength(1);
    vi.advanceTimersByTime(10);
    expect(server.sentOf('hb')).toHaveLength(2);
    vi.advanceTimersByTime(3000);
    expect(server.sentOf('hb')).toHaveLength(3);
    expect(online).toHaveBeenCalledTimes(3);
    expect(online).toHaveBeenLastCalledWith('r1', 5);
  });

  it('three unanswered heartbeats → onDisconnect(Timeout) and a full reset', () => {
    const zg = newClient();
    server.handlers.login = (f) => server.loginOk(f, { hearbeat_interval: 3000 });
    server.handlers.hb = () => null;
    const disc = vi.fn();
    zg.onDisconnect = disc;
    loginNow(zg);
    vi.advanceTimersByTime(6000); // hb #2, #3 sent
    expect(server.sentOf('hb')).toHaveLength(3);
    expect(disc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(3000);
    expect(disc).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Timeout', msg: 'heartbeat timeout.' });
    expect(server.sentOf('hb')).toHaveLength(3);
    expect(zg.logout()).toBe(false);
  });

  it('an answered heartbeat clears the miss count', () => {
    const zg = newClient();
    server.handlers.login = (f) => server.loginOk(f, { hearbeat_interval: 3000 });
    let answer = false;
    server.handlers.hb = () => (answer ? server.hbBody({ hearbeat_interval: 3000 }) : null);
    const disc = vi.fn();
    zg.onDisconnect = disc;
    loginNow(zg);
    vi.advanceTimersByTime(3000); // #2 unanswered
    answer = true;
    vi.advanceTimersByTime(3005); // #3 answered
    answer = false;
    vi.advanceTimersByTime(6000); // #4 #5 unanswered: 2 misses
    expect(disc).not.toHaveBeenCalled();
  });

  it('a heartbeat error answer → onDisconnect with the mapped server error', () => {
    const zg = newClient();
    server.handlers.hb = () => ({ err_code: 1006, err_message: 'x' });
    const disc = vi.fn();
    zg.onDisconnect = disc;
    zg.login('r1', 1, 't', vi.fn(), vi.fn());
    vi.advanceTimersByTime(10);
    expect(disc).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'user login state is wrong.' });
  });

  it('a rate-limited heartbeat answer counts as alive, not as a lost session', () => {
    const zg = newClient();
    server.handlers.login = (f) => server.loginOk(f, { hearbeat_interval: 3000 });
    server.handlers.hb = () => ({ err_code: 1000000003, err_message: 'rate limited' });
    const disc = vi.fn();
    zg.onDisconnect = disc;
    loginNow(zg);
    vi.advanceTimersByTime(30000);
    expect(disc).not.toHaveBeenCalled();
    expect(zg._room.state).toBe('login');
  });
});

describe('ack bookkeeping', () => {
  it('an unanswered request fails with ZegoClient.Error.Timeout after 5 s (checked every 2 s)', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.custommsg = () => null;
    const ok = vi.fn();
    const err = vi.fn();
    expect(zg.sendCustomCommand(['bob'], { a: 1 }, ok, err)).toBe(true);
    const seq = server.sentOf('custommsg')[0].header.seq;
    vi.advanceTimersByTime(5000);
    expect(err).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000); // checker at 6 s (2 s cadence from login)
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Timeout', msg: 'send customsg timeout.' }, seq, { a: 1 });
    // a late answer is ignored
    server.last.deliver({ header: server.rspHeader('custommsg', seq), body: { err_code: 0 } });
    expect(ok).not.toHaveBeenCalled();
  });

  it('AckQueue: at most 100 failures per pass; entries over 10 s old are dropped silently', () => {
    const q = new AckQueue(() => undefined);
    const failed: number[] = [];
    for (let i = 0; i < 150; i++) q.add(i, { cmd: 'x', sentAt: 0, onResponse: () => undefined, onFailure: () => failed.push(i) });
    q.add(999, { cmd: 'x', sentAt: -20000, onResponse: () => undefined, onFailure: () => failed.push(999) });
    q.check(6000);
    expect(failed).toHaveLength(100);
    q.check(8000);
    expect(failed).toHaveLength(150);
    expect(failed).not.toContain(999);
    expect(q.size).toBe(0);
  });

  it('server error answers map to ZegoClient.Error.Server', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.trans = () => ({ err_code: 1000000006, err_message: 'too many' });
    const err = vi.fn();
    zg.sendReliableMessage('t11', 'd', vi.fn(), err);
    vi.advanceTimersByTime(5);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'liveroom cmd error, result=1000000006' }, expect.any(Number));
  });

  it('logout fails pending requests with the reset timeout', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.signal = () => null;
    const err = vi.fn();
    zg.requestJoinLive('bob', vi.fn(), err, vi.fn());
    zg.logout();
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Timeout', msg: 'msg waiting ack is clear when reset.' }, expect.any(Number));
  });
});
