import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { diffStreams, StreamList } from '../../src/room/stream-list';
import { loginNow, newClient, RELOGIN_MS, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.useRealTimers();
});

const s = (id: string, who = 'bob', extra = '') => ({ stream_id: id, anchor_id_name: who, anchor_nick_name: `${who}N`, extra_info: extra });

describe('stream list', () => {
  it('diffs added, deleted and changed extra info', () => {
    const old = new Map([['a', s('a')], ['b', s('b', 'bob', '1')]].map(([k, v]) => [k as string, v as ReturnType<typeof s>]));
    const d = diffStreams(old as never, [s('b', 'bob', '2'), s('c')] as never);
    expect(d.added.map((x) => x.stream_id)).toEqual(['c']);
    expect(d.deleted.map((x) => x.stream_id)).toEqual(['a']);
    expect(d.changed.map((x) => x.stream_id)).toEqual(['b']);
  });

  it('applies contiguous pushes, rejects gaps, filters own streams but counts them in the seq', () => {
    const l = new StreamList(() => 'me');
    l.replace(5, [s('a')]);
    expect(l.applyPush({ stream_cmd: 12001, stream_seq: 7, stream_info: [s('x')], room_id: 'r' } as never)).toBeNull();
    const d = l.applyPush({ stream_cmd: 12001, stream_seq: 7, stream_info: [s('b'), s('mine', 'me')], room_id: 'r' } as never)!;
    expect(d.added.map((x) => x.stream_id)).toEqual(['b']);
    expect(l.seq).toBe(7);
    const u = l.applyPush({ stream_cmd: 12003, stream_seq: 8, stream_info: [s('b', 'bob', 'new')], room_id: 'r' } as never)!;
    expect(u.changed.map((x) => x.extra_info)).toEqual(['new']);
    const same = l.applyPush({ stream_cmd: 12003, stream_seq: 9, stream_info: [s('b', 'bob', 'new')], room_id: 'r' } as never)!;
    expect(same.changed).toHaveLength(0);
    const del = l.applyPush({ stream_cmd: 12002, stream_seq: 10, stream_info: [s('a')], room_id: 'r' } as never)!;
    expect(del.deleted.map((x) => x.stream_id)).toEqual(['a']);
    expect(l.list().map((x) => x.stream_id)).toEqual(['b']);
  });

  it('client: pushes drive onStreamUpdated / onStreamExtraInfoUpdated; a gap refetches stream_info and diffs', () => {
    const zg = newClient('alice');
    server.handlers.login = (f) => server.loginOk(f, { stream_seq: 1, stream_info: [s('a')] });
    server.handlers.hb = () => server.hbBody({ stream_seq: 1 });
    const upd = vi.fn();
    const ext = vi.fn();
    zg.onStreamUpdated = upd;
    zg.onStreamExtraInfoUpdated = ext;
    loginNow(zg);
    server.push('push_stream_update', { stream_cmd: 12001, stream_seq: 2, stream_info: [s('b')], room_id: 'r1' });
    expect(upd).toHaveBeenLastCalledWith(0, [expect.objectContaining({ stream_id: 'b', anchor_id_name: 'bob', anchor_nick_name: 'bobN', extra_info: '' })]);
    server.push('push_stream_update', { stream_cmd: 12003, stream_seq: 3, stream_info: [s('b', 'bob', 'e')], room_id: 'r1' });
    expect(ext).toHaveBeenLastCalledWith([expect.objectContaining({ stream_id: 'b', extra_info: 'e' })]);
    server.handlers.stream_info = () => ({ err_code: 0, stream_seq: 6, stream_info: [s('b', 'bob', 'e'), s('c')] });
    server.push('push_stream_update', { stream_cmd: 12001, stream_seq: 6, stream_info: [s('c')], room_id: 'r1' });
    expect(server.sentOf('stream_info')).toHaveLength(1);
    vi.advanceTimersByTime(5);
    expect(upd).toHaveBeenCalledWith(0, [expect.objectContaining({ stream_id: 'c' })]);
    expect(upd).toHaveBeenCalledWith(1, [expect.objectContaining({ stream_id: 'a' })]);
    expect(zg._room.streams.seq).toBe(6);
  });

  it('client: a heartbeat stream_seq mismatch refetches', () => {
    const zg = newClient('alice');
    server.handlers.hb = () => server.hbBody({ stream_seq: 4 });
    server.handlers.stream_info = () => ({ err_code: 0, stream_seq: 4, stream_info: [s('z')] });
    const upd = vi.fn();
    zg.onStreamUpdated = upd;
    loginNow(zg);
    vi.advanceTimersByTime(10);
    expect(upd).toHaveBeenCalledWith(0, [expect.objectContaining({ stream_id: 'z' })]);
  });

  it('updateStreamExtraInfo sends 2003 only for an announced stream, and returns true either way', () => {
    const zg = newClient('alice');
    loginNow(zg);
    expect(zg.updateStreamExtraInfo('nope', 'x')).toBe(true);
    expect(server.sentOf('stream')).toHaveLength(0);
    server.handlers.stream = (f) => ({ err_code: 0, stream_seq: f.body.sub_cmd === 2001 ? 1 : 2, stream_info: [] });
    zg._room.localStreams.add('mine', 'e0');
    const done = vi.fn();
    zg._room.localStreams.register('mine', done);
    vi.advanceTimersByTime(5);
    expect(done.mock.calls[0][0]).toBe(true);
    expect(zg.updateStreamExtraInfo('mine', 'e1')).toBe(true);
    const sent = server.sentOf('stream');
    expect(sent.map((f) => f.body.sub_cmd)).toEqual([2001, 2003]);
    expect(JSON.parse(sent[1].body.stream_msg as string)).toEqual({ stream_id: 'mine', extra_info: 'e1' });
  });
});

describe('user list (notes §5)', () => {
  const page = (ret: number, last: number, seq: number, names: string[]) => ({
    err_code: 0,
    ret_user_index: ret,
    server_user_index: last,
    server_user_seq: seq,
    user_baseinfos: names.map((n) => ({ id_name: n, nick_name: `${n}N`, role: 2 })),
  });
  const act = (a: number, n: string) => ({ Action: a, IdName: n, NickName: `${n}N`, Role: 2, LoginTime: '1700000000000' });

  it('is off unless setUserStateUpdate(true) preceded login', () => {
    const zg = newClient();
    const total = vi.fn();
    const upd = vi.fn();
    zg.onGetTotalUserList = total;
    zg.onUserStateUpdate = upd;
    loginNow(zg);
    server.push('push_userlist_update', { user_list_seq: 1, room_id: 'r1', user_actions: [act(1, 'bob')] });
    expect(server.sentOf('user_list')).toHaveLength(0);
    expect(upd).not.toHaveBeenCalled();
    expect(zg.setUserStateUpdate('yes' as never)).toBe(false);
  });

  it('fetches all pages, then applies contiguous pushes', () => {
    const zg = newClient();
    zg.setUserStateUpdate(true);
    server.handlers.user_list = (f) => (f.body.user_index === 0 ? page(2, 3, 10, ['a', 'b']) : page(3, 3, 10, ['c']));
    const total = vi.fn();
    const upd = vi.fn();
    zg.onGetTotalUserList = total;
    zg.onUserStateUpdate = upd;
    loginNow(zg);
    vi.advanceTimersByTime(10);
    expect(server.sentOf('user_list').map((f) => f.body)).toEqual([{ user_index: 0, sort_type: 0 }, { user_index: 3, sort_type: 0 }]);
    expect(total).toHaveBeenCalledWith('r1', [
      { idName: 'a', nickName: 'aN', role: 2 },
      { idName: 'b', nickName: 'bN', role: 2 },
      { idName: 'c', nickName: 'cN', role: 2 },
    ]);
    server.push('push_userlist_update', { user_list_seq: 12, room_id: 'r1', user_actions: [act(1, 'd'), act(2, 'a')] });
    expect(upd).toHaveBeenCalledWith('r1', [
      { action: 1, idName: 'd', nickName: 'dN', role: 2, loginTime: '1700000000000' },
      { action: 2, idName: 'a', nickName: 'aN', role: 2, loginTime: '1700000000000' },
    ]);
  });

  it('holds out-of-order pushes until the gap closes, then reports them in seq order', () => {
    const zg = newClient();
    zg.setUserStateUpdate(true);
    server.handlers.user_list = () => page(1, 1, 5, ['a']);
    const upd = vi.fn();
    zg.onUserStateUpdate = upd;
    loginNow(zg);
    vi.advanceTimersByTime(5);
    server.push('push_userlist_update', { user_list_seq: 7, room_id: 'r1', user_actions: [act(1, 'c')] });
    expect(upd).not.toHaveBeenCalled();
    server.push('push_userlist_update', { user_list_seq: 6, room_id: 'r1', user_actions: [act(1, 'b')] });
    expect(upd).toHaveBeenCalledTimes(1);
    expect(upd.mock.calls[0][1].map((u: { idName: string }) => u.idName)).toEqual(['b', 'c']);
    expect(zg._room.users.seq).toBe(7);
  });

  it('a gap that stays open refetches after the merge timeout, not sooner than the refetch interval', () => {
    const zg = newClient();
    zg.setUserStateUpdate(true);
    server.handlers.login = (f) => server.loginOk(f, { userlist_merge_timeout: 1000, userlist_interval: 8000 });
    server.handlers.user_list = () => page(1, 1, 5, ['a']);
    const total = vi.fn();
    zg.onGetTotalUserList = total;
    loginNow(zg);
    vi.advanceTimersByTime(5);
    expect(total).toHaveBeenCalledTimes(1);
    server.push('push_userlist_update', { user_list_seq: 9, room_id: 'r1', user_actions: [act(1, 'x')] });
    vi.advanceTimersByTime(1000);
    expect(server.sentOf('user_list')).toHaveLength(1); // 8 s interval since the login fetch not yet over
    server.handlers.user_list = () => page(1, 1, 9, ['a', 'x']);
    vi.advanceTimersByTime(7000);
    expect(server.sentOf('user_list')).toHaveLength(2);
    vi.advanceTimersByTime(5);
    expect(total).toHaveBeenCalledTimes(2);
    expect(zg._room.users.seq).toBe(9);
  });

  it('a re-login drops pushes held from the old connection and starts from the new full list', () => {
    const zg = newClient();
    zg.setUserStateUpdate(true);
    server.handlers.user_list = () => page(1, 1, 5, ['a']);
    const upd = vi.fn();
    zg.onUserStateUpdate = upd;
    loginNow(zg);
    vi.advanceTimersByTime(5);
    server.push('push_userlist_update', { user_list_seq: 8, room_id: 'r1', user_actions: [act(1, 'stale')] }); // gap: held
    // the server restarts and counts from 1 again
    server.handlers.user_list = () => page(1, 1, 1, ['a']);
    server.last.drop();
    vi.advanceTimersByTime(RELOGIN_MS);
    expect(zg._room.users.seq).toBe(1);
    for (let seq = 2; seq <= 8; seq++) server.push('push_userlist_update', { user_list_seq: seq, room_id: 'r1', user_actions: [act(1, `u${seq}`)] });
    const names = upd.mock.calls.flatMap((c) => c[1].map((u: { idName: string }) => u.idName));
    expect(names).toEqual(['u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']);
  });

  it('a heartbeat server_user_seq mismatch refetches', () => {
    const zg = newClient();
    zg.setUserStateUpdate(true);
    server.handlers.user_list = () => page(1, 1, 5, ['a']);
    server.handlers.hb = () => server.hbBody({ server_user_seq: 6 });
    loginNow(zg);
    vi.advanceTimersByTime(10); // the first hb answer arrives while the login fetch is in flight
    expect(server.sentOf('user_list')).toHaveLength(1);
    vi.advanceTimersByTime(30000);
    expect(server.sentOf('user_list')).toHaveLength(2);
  });
});
