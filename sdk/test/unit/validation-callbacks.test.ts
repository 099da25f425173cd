import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ZegoClient } from '../../src/zego-client';
import { CALLBACK_NAMES } from '../../src/callbacks';
import { loginNow, newClient, SERVER, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const f = () => vi.fn();

describe('config validation', () => {
  const base = { appid: 1, server: SERVER, idName: 'u', nickName: 'n', logLevel: 0 };
  it.each([
    ['no option', undefined],
    ['appid 0', { ...base, appid: 0 }],
    ['appid string', { ...base, appid: '1' }],
    ['empty server', { ...base, server: '' }],
    ['empty server array', { ...base, server: [] }],
    ['server array with non-string', { ...base, server: [SERVER, 3] }],
    ['no idName', { ...base, idName: '' }],
    ['nickName missing', { ...base, nickName: undefined }],
    ['logLevel missing', { ...base, logLevel: undefined }],
    ['remoteLogLevel string', { ...base, remoteLogLevel: '1' }],
    ['logUrl number', { ...base, logUrl: 5 }],
    ['audienceCreateRoom string', { ...base, audienceCreateRoom: 'no' }],
  ])('rejects %s', (_name, opt) => {
    const zg = new ZegoClient();
    expect(() => zg.config(opt as never)).not.toThrow();
    expect(zg.config(opt as never)).toBe(false);
  });

  it('accepts a server array and the optional options', () => {
    const zg = new ZegoClient();
    expect(zg.config({ ...base, server: [SERVER, 'ws://b/ws'], remoteLogLevel: 100, logUrl: '', audienceCreateRoom: false })).toBe(true);
  });
});

describe('method validation: invalid calls return false, never throw, send nothing, call nothing', () => {
  type Case = [string, (zg: ZegoClient, cb: ReturnType<typeof vi.fn>) => unknown];
  const cases: Case[] = [
    ['login roomid empty', (zg, cb) => zg.login('', 1, 't', cb, cb)],
    ['login roomid number', (zg, cb) => zg.login(5 as never, 1, 't', cb, cb)],
    ['login role 3', (zg, cb) => zg.login('r', 3, 't', cb, cb)],
    ['login token missing', (zg, cb) => zg.login('r', 1, undefined as never, cb, cb)],
    ['login no success', (zg, cb) => zg.login('r', 1, 't', undefined as never, cb)],
    ['login no error', (zg, cb) => zg.login('r', 1, 't', cb, undefined as never)],
    ['loginWithAuthor thirdToken missing', (zg, cb) => zg.loginWithAuthor('r', 1, 't', undefined as never, cb, cb)],
    ['setUserStateUpdate non-boolean', (zg) => zg.setUserStateUpdate(1 as never)],
    ['sendCustomCommand empty dst', (zg, cb) => zg.sendCustomCommand([], 'x', cb, cb)],
    ['sendCustomCommand dst not array', (zg, cb) => zg.sendCustomCommand('bob' as never, 'x', cb, cb)],
    ['sendCustomCommand dst with empty id', (zg, cb) => zg.sendCustomCommand(['bob', ''], 'x', cb, cb)],
    ['sendCustomCommand content number', (zg, cb) => zg.sendCustomCommand(['bob'], 5 as never, cb, cb)],
    ['sendCustomCommand content null', (zg, cb) => zg.sendCustomCommand(['bob'], null as never, cb, cb)],
    ['sendCustomCommand no callbacks', (zg) => zg.sendCustomCommand(['bob'], 'x', undefined as never, undefined as never)],
    ['sendRoomMsg category string', (zg, cb) => zg.sendRoomMsg('1' as never, 1, 'x', cb, cb)],
    ['sendRoomMsg type missing', (zg, cb) => zg.sendRoomMsg(1, undefined as never, 'x', cb, cb)],
    ['sendRoomMsg content object', (zg, cb) => zg.sendRoomMsg(1, 1, {} as never, cb, cb)],
    ['sendRoomMsg no error cb', (zg, cb) => zg.sendRoomMsg(1, 1, 'x', cb, undefined as never)],
    ['sendReliableMessage empty type', (zg, cb) => zg.sendReliableMessage('', 'd', cb, cb)],
    ['sendReliableMessage type over 128 bytes', (zg, cb) => zg.sendReliableMessage('é'.repeat(65), 'd', cb, cb)],
    ['sendReliableMessage data number', (zg, cb) => zg.sendReliableMessage('t', 1 as never, cb, cb)],
    ['sendRelayMessage empty type', (zg, cb) => zg.sendRelayMessage('', 'd', cb, cb)],
    ['sendRelayMessage data missing', (zg, cb) => zg.sendRelayMessage('1', undefined as never, cb, cb)],
    ['sendBigRoomMessage content number', (zg, cb) => zg.sendBigRoomMessage(1, 1, 3 as never, cb, cb)],
    ['sendBigRoomMessage category missing', (zg, cb) => zg.sendBigRoomMessage(undefined as never, 1, 'x', cb, cb)],
    ['requestJoinLive no resultCallback', (zg, cb) => zg.requestJoinLive('bob', cb, cb, undefined as never)],
    ['requestJoinLive empty dest', (zg, cb) => zg.requestJoinLive('', cb, cb, cb)],
    ['inviteJoinLive no resultCallback', (zg, cb) => zg.inviteJoinLive('bob', cb, cb, undefined as never)],
    ['respondJoinLive result not boolean', (zg, cb) => zg.respondJoinLive('x-1', 1 as never, cb, cb)],
    ['respondJoinLive empty id', (zg, cb) => zg.respondJoinLive('', true, cb, cb)],
    ['endJoinLive dest number', (zg, cb) => zg.endJoinLive(3 as never, cb, cb)],
    ['updateStreamExtraInfo empty id', (zg) => zg.updateStreamExtraInfo('', 'x')],
    ['updateStreamExtraInfo extra not string', (zg) => zg.updateStreamExtraInfo('s', 5 as never)],
  ];

  it.each(cases)('%s', (_name, call) => {
    const zg = newClient();
    loginNow(zg);
    const before = server.frames.length;
    const cb = vi.fn();
    let r: unknown;
    expect(() => {
      r = call(zg, cb);
    }).not.toThrow();
    expect(r).toBe(false);
    vi.advanceTimersByTime(10000);
    expect(cb).not.toHaveBeenCalled();
    expect(server.frames.slice(before).filter((x) => x.header.cmd !== 'hb')).toHaveLength(0);
  });

  it('sending methods return false when not logged in', () => {
    const zg = newClient();
    const cb = vi.fn();
    expect(zg.sendCustomCommand(['b'], 'x', cb, cb)).toBe(false);
    expect(zg.sendRoomMsg(1, 1, 'x', cb, cb)).toBe(false);
    expect(zg.sendReliableMessage('t', 'x', cb, cb)).toBe(false);
    expect(zg.sendRelayMessage('1', 'x', cb, cb)).toBe(false);
    expect(zg.sendBigRoomMessage(1, 1, 'x', cb, cb)).toBe(false);
    expect(zg.requestJoinLive('b', cb, cb, cb)).toBe(false);
    expect(zg.inviteJoinLive('b', cb, cb, cb)).toBe(false);
    expect(zg.endJoinLive('b', cb, cb)).toBe(false);
    expect(zg.logout()).toBe(false);
    expect(cb).not.toHaveBeenCalled();
    expect(server.sockets).toHaveLength(0);
  });
});

describe('callbacks', () => {
  it('every callback of the reference exists as a no-op property', () => {
    const zg = new ZegoClient() as unknown as Record<string, unknown>;
    for (const name of CALLBACK_NAMES) {
      expect(typeof zg[name]).toBe('function');
      expect(() => (zg[name] as () => void)()).not.toThrow();
    }
  });

  it('statics: getCurrentVersion and isSupportWebrtc', () => {
    expect(ZegoClient.getCurrentVersion()).toMatch(/^1\.\d+\.\d+$/);
    expect(ZegoClient.isSupportWebrtc()).toBe(false); // node: no RTCPeerConnection
  });

  it('every method the reference calls static is static (enumDevices on instances too)', () => {
    const statics = ['supportDetection', 'isSupportWebrtc', 'isSupportH264', 'getCurrentVersion', 'takeSnapShot', 'saveSnapShot'];
    statics.push('startRecord', 'pauseRecord', 'resumeRecord', 'stopRecord', 'saveRecord', 'enumDevices');
    for (const name of statics) expect(typeof (ZegoClient as unknown as Record<string, unknown>)[name], name).toBe('function');
    expect(typeof new ZegoClient().enumDevices).toBe('function');
  });

  it('ZegoClient.enumDevices works without a client: device lists, or the browser error', async () => {
    const devices = [
      { kind: 'audioinput', label: 'Mic', deviceId: 'm1' },
      { kind: 'audiooutput', label: 'Speaker', deviceId: 'o1' },
      { kind: 'videoinput', label: 'Cam', deviceId: 'c1' },
    ];
    let fail: Error | null = null;
    vi.stubGlobal('navigator', { mediaDevices: { enumerateDevices: () => (fail ? Promise.reject(fail) : Promise.resolve(devices)) } });
    try {
      const info = await new Promise((resolve, reject) => expect(ZegoClient.enumDevices(resolve, reject)).toBe(true));
      expect(info).toEqual({
        microphones: [{ label: 'Mic', deviceId: 'm1' }],
        speakers: [{ label: 'Speaker', deviceId: 'o1' }],
        cameras: [{ label: 'Cam', deviceId: 'c1' }],
      });
      fail = new Error('NotAllowedError');
      const err = await new Promise((resolve, reject) => expect(ZegoClient.enumDevices(reject, resolve)).toBe(true));
      expect(err).toBe(fail);
      // both callbacks must be functions; a throwing callback is caught
      expect(ZegoClient.enumDevices(undefined as never, f())).toBe(false);
      expect(ZegoClient.enumDevices(f(), 'x' as never)).toBe(false);
      fail = null;
      const errorCb = f();
      const called = await new Promise((resolve) => {
        const ok = () => {
          resolve('called');
          throw new Error('app bug'); // caught and logged by the SDK (an unhandled rejection would fail the run)
        };
        expect(ZegoClient.enumDevices(ok, errorCb)).toBe(true);
      });
      expect(called).toBe('called');
      await Promise.resolve();
      expect(errorCb).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a throwing application callback is logged and never corrupts SDK state', () => {
    const zg = newClient('alice');
    const log = vi.spyOn(zg._log, 'error');
    server.handlers.login = (fr) => server.loginOk(fr, { anchor_info: { anchor_id: '1', anchor_id_name: 'bob', anchor_nick_name: 'B' } });
    zg.onGetAnchorInfo = () => {
      throw new Error('app bug 1');
    };
    const success = vi.fn(() => {
      throw new Error('app bug 2');
    });
    zg.login('r1', 1, 't', success, f());
    vi.advanceTimersByTime(5);
    expect(success).toHaveBeenCalledTimes(1);
    expect(zg._room.state).toBe('login');
    expect(log.mock.calls.map((c) => c[0]).filter((m) => m.includes('threw'))).toHaveLength(2);
    // a throwing push callback does not stop later pushes, nor the seq bookkeeping
    let n = 0;
    zg.onStreamUpdated = () => {
      n++;
      throw new Error('app bug 3');
    };
    const s = (id: string) => ({ stream_id: id, anchor_id_name: 'bob', anchor_nick_name: 'B', extra_info: '' });
    server.push('push_stream_update', { stream_cmd: 12001, stream_seq: 1, stream_info: [s('a')], room_id: 'r1' });
    server.push('push_stream_update', { stream_cmd: 12001, stream_seq: 2, stream_info: [s('b')], room_id: 'r1' });
    expect(n).toBe(2);
    expect(zg._room.streams.seq).toBe(2);
    // a throwing error callback during reset does not stop the reset
    server.handlers.custommsg = () => null;
    zg.sendCustomCommand(['bob'], 'x', f(), () => {
      throw new Error('app bug 4');
    });
    expect(zg.logout()).toBe(true);
    expect(zg._room.state).toBe('logout');
    expect(zg._room.acks.size).toBe(0);
  });

  it('a callback may log in again from inside onKickOut', () => {
    const zg = newClient('alice');
    loginNow(zg);
    const ok = vi.fn();
    zg.onKickOut = () => {
      zg.login('r2', 1, 't', ok, f());
    };
    server.push('push_kickout', { reason: 1 });
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledTimes(1);
    expect(zg._room.roomId).toBe('r2');
  });
});
