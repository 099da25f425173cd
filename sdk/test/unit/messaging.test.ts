import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loginNow, newClient, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sendRoomMsg', () => {
  it('sends im_chat and answers success(seq, msgId, category, type, content)', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.im_chat = () => ({ err_code: 0, msg_id: 77 });
    const ok = vi.fn();
    expect(zg.sendRoomMsg(1, 2, 'hello', ok, vi.fn())).toBe(true);
    const f = server.sentOf('im_chat')[0];
    expect(f.body).toEqual({ msg_category: 1, msg_type: 2, msg_content: 'hello' });
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith(f.header.seq, 77, 1, 2, 'hello');
  });

  it('limits sends to one per 500 ms: err(requencyLimited, 0, category, type, content)', () => {
    const zg = newClient();
    loginNow(zg);
    const err = vi.fn();
    expect(zg.sendRoomMsg(1, 1, 'a', vi.fn(), err)).toBe(true);
    vi.advanceTimersByTime(499);
    expect(zg.sendRoomMsg(1, 1, 'b', vi.fn(), err)).toBe(false);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.requencyLimited', msg: 'Frequency Limited.' }, 0, 1, 1, 'b');
    vi.advanceTimersByTime(1);
    expect(zg.sendRoomMsg(1, 1, 'c', vi.fn(), err)).toBe(true);
    expect(server.sentOf('im_chat').map((f) => f.body.msg_content)).toEqual(['a', 'c']);
  });

  it('push_im_chat → onRecvRoomMsg(chat_data, server_msg_id, ret_msg_id)', () => {
    const zg = newClient();
    loginNow(zg);
    const recv = vi.fn();
    zg.onRecvRoomMsg = recv;
    const chat = [{ id_name: 'bob', nick_name: 'B', role: 2, msg_id: 3, msg_category: 1, msg_type: 1, msg_content: 'hi', send_time: 1 }];
    server.push('push_im_chat', { chat_data: chat, server_msg_id: 3, ret_msg_id: 3 });
    expect(recv).toHaveBeenCalledWith(chat, 3, 3);
  });
});

describe('sendCustomCommand', () => {
  it('wraps the content in the custom_msg envelope and reports success(seq, customContent)', () => {
    const zg = newClient('alice');
    loginNow(zg, 'room-9');
    server.handlers.custommsg = () => ({ err_code: 0 });
    const ok = vi.fn();
    const content = { k: 'v' };
    expect(zg.sendCustomCommand(['bob', 'carol'], content, ok, vi.fn())).toBe(true);
    const f = server.sentOf('custommsg')[0];
    expect(f.body.dest_id_name).toEqual(['bob', 'carol']);
    expect(JSON.parse(f.body.custom_msg as string)).toEqual({
      from_userid: 'alice',
      from_username: 'alice-nick',
      request_id: expect.stringMatching(/^alice-\d+$/),
      custom_content: content,
      room_id: 'room-9',
    });
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith(f.header.seq, content);
  });

  it('server refusal → error(serverError, seq, customContent)', () => {
    const zg = newClient('alice');
    loginNow(zg);
    server.handlers.custommsg = () => ({ err_code: 1000000005, err_message: 'content too long' });
    const err = vi.fn();
    zg.sendCustomCommand(['bob'], 'x'.repeat(2000), vi.fn(), err);
    vi.advanceTimersByTime(5);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'liveroom cmd error, result=1000000005' }, expect.any(Number), 'x'.repeat(2000));
  });

  it('push_custommsg → onRecvCustomCommand(from_idName, from_nickName, custom_content)', () => {
    const zg = newClient('alice');
    loginNow(zg);
    const recv = vi.fn();
    zg.onRecvCustomCommand = recv;
    server.push('push_custommsg', { custommsg: JSON.stringify({ from_userid: 'bob', from_username: 'Bob', request_id: 'bob-1', custom_content: 'yo', room_id: 'r1' }) });
    expect(recv).toHaveBeenCalledWith('bob', 'Bob', 'yo');
  });
});

describe('join-live', () => {
  it('request → result push calls resultCallback(result, fromUserId, fromUserName) once', () => {
    const zg = newClient('alice');
    loginNow(zg, 'r1');
    server.handlers.signal = () => ({ err_code: 0 });
    const ok = vi.fn();
    const result = vi.fn();
    expect(zg.requestJoinLive('bob', ok, vi.fn(), result)).toBe(true);
    const f = server.sentOf('signal')[0];
    expect(f.body.sub_cmd).toBe(1001);
    expect(f.body.dest_id_name).toEqual(['bob']);
    const msg = JSON.parse(f.body.signal_msg as string);
    expect(msg).toEqual({ request_id: expect.stringMatching(/^alice-\d+$/), room_id: 'r1', from_userid: 'alice', from_username: 'alice-nick', to_userid: 'bob' });
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith(f.header.seq);
    const reply = { request_id: msg.request_id, room_id: 'r1', from_userid: 'bob', from_username: 'Bob', to_userid: 'alice', result: 1 };
    server.push('push_signal', { sub_cmd: 11002, signal_msg: JSON.stringify(reply) });
    server.push('push_signal', { sub_cmd: 11002, signal_msg: JSON.stringify(reply) });
    expect(result).toHaveBeenCalledTimes(1);
    expect(result).toHaveBeenCalledWith(true, 'bob', 'Bob');
  });

  it('receives request and invite, responds with the received id, and ends', () => {
    const zg = newClient('bob');
    loginNow(zg, 'r1');
    server.handlers.signal = () => ({ err_code: 0 });
    const req = vi.fn();
    const inv = vi.fn();
    const end = vi.fn();
    zg.onRecvJoinLiveRequest = req;
    zg.onRecvInviteJoinLiveRequest = inv;
    zg.onRecvEndJoinLiveCommand = end;
    const m = (id: string) => JSON.stringify({ request_id: id, room_id: 'r1', from_userid: 'alice', from_username: 'Alice', to_userid: 'bob' });
    server.push('push_signal', { sub_cmd: 11001, signal_msg: m('alice-1') });
    server.push('push_signal', { sub_cmd: 11003, signal_msg: m('alice-2') });
    server.push('push_signal', { sub_cmd: 11004, signal_msg: m('alice-3') });
    expect(req).toHaveBeenCalledWith('alice-1', 'alice', 'Alice', 'r1');
    expect(inv).toHaveBeenCalledWith('alice-2', 'alice', 'Alice', 'r1');
    expect(end).toHaveBeenCalledWith('alice-3', 'alice', 'Alice', 'r1');
    expect(zg.respondJoinLive('unknown-1', true, vi.fn(), vi.fn())).toBe(false);
    expect(zg.respondJoinLive('alice-1', false, vi.fn(), vi.fn())).toBe(true);
    const f = server.sentOf('signal')[0];
    expect(f.body.sub_cmd).toBe(1002);
    expect(f.body.dest_id_name).toEqual(['alice']);
    expect(JSON.parse(f.body.signal_msg as string)).toMatchObject({ request_id: 'alice-1', from_userid: 'bob', to_userid: 'alice', result: 0 });
    expect(zg.respondJoinLive('alice-1', true, vi.fn(), vi.fn())).toBe(false); // answered already
    expect(zg.inviteJoinLive('alice', vi.fn(), vi.fn(), vi.fn())).toBe(true);
    expect(zg.endJoinLive('alice', vi.fn(), vi.fn())).toBe(true);
    expect(server.sentOf('signal').map((x) => x.body.sub_cmd)).toEqual([1002, 1003, 1004]);
  });
});
