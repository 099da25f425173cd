import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseFrame } from '../../src/room/connection';
import { loginNow, newClient, RELOGIN_MS, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('frames', () => {
  it('parseFrame accepts {header:{cmd}, body} and rejects anything else', () => {
    expect(parseFrame('{"header":{"cmd":"hb","seq":1},"body":{"err_code":0}}')).toEqual({ header: { cmd: 'hb', seq: 1 }, body: { err_code: 0 } });
    expect(parseFrame('{"header":{"cmd":"hb"}}')).toEqual({ header: { cmd: 'hb' }, body: {} });
    expect(parseFrame('not json')).toBeNull();
    expect(parseFrame('[1,2]')).toBeNull();
    expect(parseFrame('{"body":{}}')).toBeNull();
    expect(parseFrame('{"header":{"cmd":5}}')).toBeNull();
  });

  it('garbage frames are dropped without disturbing the session', () => {
    const zg = newClient();
    loginNow(zg);
    const recv = vi.fn();
    zg.onRecvRoomMsg = recv;
    const sock = server.last;
    sock.onmessage!({ data: 'garbage' });
    sock.onmessage!({ data: '{"header":{"protocol":"push","cmd":"push_unknown"},"body":{}}' });
    server.push('push_unknown_cmd', {});
    server.push('push_im_chat', { chat_data: [], server_msg_id: 1, ret_msg_id: 1 });
    expect(recv).toHaveBeenCalledTimes(1);
    expect(zg._room.state).toBe('login');
  });

  it('pushes are ignored while re-logging in (ids do not match any session yet)', () => {
    const zg = newClient();
    loginNow(zg);
    const kick = vi.fn();
    zg.onKickOut = kick;
    server.handlers.login = () => null; // the re-login stays pending
    const old = { ...server.session };
    server.last.drop();
    vi.advanceTimersByTime(RELOGIN_MS);
    server.last.deliver({ header: { protocol: 'push', cmd: 'push_kickout', ...old }, body: { reason: 1 } });
    expect(kick).not.toHaveBeenCalled();
    expect(zg._room.state).toBe('trylogin');
  });

  it('request headers count seq across sockets and carry the session ids', () => {
    const zg = newClient();
    loginNow(zg);
    server.last.drop();
    vi.advanceTimersByTime(RELOGIN_MS);
    const seqs = server.frames.map((f) => f.header.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const hb = server.sentOf('hb').at(-1)!;
    expect(hb.header).toMatchObject({ Protocol: 'req', appid: 42, user_id: server.session.user_id, session_id: server.session.session_id, room_id: 'r1' });
  });
});
