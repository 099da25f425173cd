import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { channelsOf } from '../../src/room/reliable-messages';
import { loginNow, newClient, RELOGIN_MS, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';

let server: FakeRoomServer;
beforeEach(() => {
  server = setup();
});
afterEach(() => {
  vi.useRealTimers();
});

const hbWith = (entries: Array<[string, number]>) =>
  server.hbBody({ trans_seqs: [{ trans_channel: 'clt', trans_seq_array: entries.map(([t, s]) => ({ trans_type: t, trans_seq: s })) }] });

describe('reliable messages (notes §4)', () => {
  it('normalises per-channel and flat trans_seqs', () => {
    expect(channelsOf([{ trans_channel: 'clt', trans_seq_array: [{ trans_type: 'a', trans_seq: 1 }] }]).get('clt')).toEqual([{ trans_type: 'a', trans_seq: 1 }]);
    expect(channelsOf([{ trans_type: 'b', trans_seq: 2 }]).get('clt')).toEqual([{ trans_type: 'b', trans_seq: 2 }]);
    expect(channelsOf(undefined).size).toBe(0);
  });

  it('a late joiner fetches the latest message of each type from the first heartbeat', () => {
    const zg = newClient('carol');
    server.handlers.hb = () => hbWith([['quiz', 4], ['mine', 2]]);
    server.handlers.trans_fetch = (f) => {
      expect(f.body).toEqual({ trans_channel: 'clt', fetch_array: [{ trans_type: 'quiz', trans_seq: 0 }, { trans_type: 'mine', trans_seq: 0 }] });
      return {
        err_code: 0,
        trans_channel: 'clt',
        trans_fetch_results: [
          { trans_type: 'quiz', trans_seq: 4, trans_data: 'Q4', trans_user_idname: 'host' },
          { trans_type: 'mine', trans_seq: 2, trans_data: 'M2', trans_user_idname: 'carol' },
        ],
      };
    };
    const recv = vi.fn();
    zg.onRecvReliableMessage = recv;
    loginNow(zg);
    vi.advanceTimersByTime(10);
    expect(server.sentOf('trans_fetch')).toHaveLength(1);
    expect(recv).toHaveBeenCalledTimes(1);
    expect(recv).toHaveBeenCalledWith('quiz', 4, 'Q4');
    // next heartbeat with the same seqs fetches nothing
    vi.advanceTimersByTime(30000);
    expect(server.sentOf('hb')).toHaveLength(2);
    expect(server.sentOf('trans_fetch')).toHaveLength(1);
    expect(zg._room.reliable.localSeq('mine')).toBe(2);
  });

  it('pushes update the seq and reach the callback unless sent by us or already known', () => {
    const zg = newClient('alice');
    const recv = vi.fn();
    zg.onRecvReliableMessage = recv;
    loginNow(zg);
    server.push('push_trans', { trans_type: 't', trans_seq: 3, trans_data: 'd3', trans_user_idname: 'bob', trans_channel: 'clt' });
    server.push('push_trans', { trans_type: 't', trans_seq: 3, trans_data: 'd3', trans_user_idname: 'bob', trans_channel: 'clt' });
    server.push('push_trans', { trans_type: 't', trans_seq: 5, trans_data: 'd5', trans_user_idname: 'alice', trans_channel: 'clt' });
    expect(recv.mock.calls).toEqual([['t', 3, 'd3']]);
    expect(zg._room.reliable.localSeq('t')).toBe(5);
    // a restarted server counts from 1 again: a lower seq is new
    server.push('push_trans', { trans_type: 't', trans_seq: 1, trans_data: 'fresh', trans_user_idname: 'bob', trans_channel: 'clt' });
    expect(recv).toHaveBeenLastCalledWith('t', 1, 'fresh');
  });

  it('send carries the local seq; the answer updates it; success gets the request seq', () => {
    const zg = newClient('alice');
    loginNow(zg);
    server.push('push_trans', { trans_type: 't', trans_seq: 3, trans_data: 'x', trans_user_idname: 'bob', trans_channel: 'clt' });
    server.handlers.trans = () => ({ err_code: 0, trans_type: 't', trans_seq: 9 });
    const ok = vi.fn();
    zg.sendReliableMessage('t', 'payload', ok, vi.fn());
    const f = server.sentOf('trans')[0];
    expect(f.body).toEqual({ trans_type: 't', trans_data: 'payload', trans_local_seq: 3, trans_channel: 'clt' });
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith(f.header.seq);
    expect(zg._room.reliable.localSeq('t')).toBe(9);
  });

  it('after a reconnect the next heartbeat re-delivers types whose seq moved', () => {
    const zg = newClient('alice');
    const recv = vi.fn();
    zg.onRecvReliableMessage = recv;
    server.handlers.hb = () => hbWith([['t', 1]]);
    server.handlers.trans_fetch = () => ({ err_code: 0, trans_fetch_results: [{ trans_type: 't', trans_seq: 1, trans_data: 'one', trans_user_idname: 'bob' }] });
    loginNow(zg);
    vi.advanceTimersByTime(10);
    expect(recv).toHaveBeenCalledWith('t', 1, 'one');
    server.handlers.hb = () => hbWith([['t', 3]]);
    server.handlers.trans_fetch = (f) => {
      expect(f.body.fetch_array).toEqual([{ trans_type: 't', trans_seq: 1 }]);
      return { err_code: 0, trans_fetch_results: [{ trans_type: 't', trans_seq: 3, trans_data: 'three', trans_user_idname: 'bob' }] };
    };
    server.last.drop();
    vi.advanceTimersByTime(RELOGIN_MS);
    expect(recv).toHaveBeenLastCalledWith('t', 3, 'three');
    expect(recv).toHaveBeenCalledTimes(2);
  });

  it('logout clears the seqs', () => {
    const zg = newClient('alice');
    loginNow(zg);
    server.push('push_trans', { trans_type: 't', trans_seq: 3, trans_data: 'x', trans_user_idname: 'bob', trans_channel: 'clt' });
    zg.logout();
    expect(zg._room.reliable.localSeq('t')).toBe(0);
  });
});
