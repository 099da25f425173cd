import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BigRoomBatcher, BIGIM_MAX_BATCH } from '../../src/room/bigroom-batcher';
import { RelayQueue } from '../../src/room/relay-queue';
import type { RequestHandlers } from '../../src/room/requester';
import { loginNow, newClient, setup } from './helpers/client';
import type { FakeRoomServer } from './helpers/fake-server';

interface Sent {
  cmd: string;
  body: Record<string, unknown>;
  at: number;
  h?: RequestHandlers;
}

function harness(random = () => 0.5) {
  const sent: Sent[] = [];
  const calls: unknown[][] = [];
  let seq = 0;
  const deps = {
    request: (cmd: string, body: object, h?: RequestHandlers) => {
      sent.push({ cmd, body: body as Record<string, unknown>, at: Date.now(), h });
      return ++seq;
    },
    call: (name: string, _fn: unknown, ...args: unknown[]) => calls.push([name, ...args]),
    now: () => Date.now(),
    random,
    canSend: () => true,
  };
  return { sent, calls, deps };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(100_000); // a window boundary for W = 5000 (and 1000)
});
afterEach(() => {
  vi.useRealTimers();
});

describe('big-room batching (notes §3.1)', () => {
  it('window 0 sends every message at once', () => {
    const { sent, deps } = harness();
    const b = new BigRoomBatcher(deps);
    b.enqueue({ category: 1, type: 1, content: 'a', ok: null, err: null });
    b.enqueue({ category: 1, type: 1, content: 'b', ok: null, err: null });
    expect(sent.map((s) => (s.body.msgs as unknown[]).length)).toEqual([1, 1]);
  });

  it('first message of a window goes at once; later ones leave in one batch at a random point of the next window', () => {
    const { sent, deps } = harness(() => 0.25);
    const b = new BigRoomBatcher(deps);
    b.setWindow(5000);
    vi.setSystemTime(101_000); // 1 s into window 20
    b.enqueue({ category: 1, type: 1, content: 'm0', ok: null, err: null });
    expect(sent).toHaveLength(1);
    b.enqueue({ category: 1, type: 2, content: 'm1', ok: null, err: null });
    vi.advanceTimersByTime(500);
    b.enqueue({ category: 1, type: 2, content: 'm2', ok: null, err: null });
    expect(sent).toHaveLength(1);
    // timer armed at 101000: (5000 - 1000) + 0.25*5000 = 5250 → fires at 106250 (window 21, 1250 ms in)
    vi.advanceTimersByTime(5250 - 500 - 1);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
    expect(sent[1].at).toBe(106_250);
    expect(sent[1].body).toEqual({
      msgs: [
        { msg_category: 1, msg_type: 2, msg_content: 'm1', bigmsg_client_id: '2' },
        { msg_category: 1, msg_type: 2, msg_content: 'm2', bigmsg_client_id: '3' },
      ],
    });
    // the window of that batch is used: a message now queues for the next window
    b.enqueue({ category: 1, type: 1, content: 'm3', ok: null, err: null });
    expect(sent).toHaveLength(2);
  });

  it('delays always land inside the next window, for any random value', () => {
    for (const r of [0, 0.5, 0.999]) {
      const { sent, deps } = harness(() => r);
      const b = new BigRoomBatcher(deps);
      b.setWindow(1000);
      const start = Date.now() + 300;
      vi.setSystemTime(start);
      b.enqueue({ category: 1, type: 1, content: 'x', ok: null, err: null });
      b.enqueue({ category: 1, type: 1, content: 'y', ok: null, err: null });
      vi.advanceTimersByTime(3000);
      const at = sent[1].at;
      expect(Math.floor(at / 1000)).toBe(Math.floor(start / 1000) + 1);
    }
  });

  it('sends at most 20 per batch and re-arms for the rest', () => {
    const { sent, deps } = harness(() => 0);
    const b = new BigRoomBatcher(deps);
    b.setWindow(1000);
    for (let i = 0; i < 46; i++) b.enqueue({ category: 1, type: 1, content: `m${i}`, ok: null, err: null });
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(sent.map((s) => (s.body.msgs as unknown[]).length)).toEqual([1, BIGIM_MAX_BATCH, BIGIM_MAX_BATCH, 5]);
    const times = sent.slice(1).map((s) => Math.floor(s.at / 1000));
    expect(new Set(times).size).toBe(3); // one batch per window
  });

  it('acks map per message: ok(seq, bigmsg_id), unacknowledged or failed → err(e, seq)', () => {
    const { sent, calls, deps } = harness();
    const b = new BigRoomBatcher(deps);
    b.enqueue({ category: 1, type: 1, content: 'a', ok: 'okA', err: 'errA' });
    sent[0].h!.ok!({ err_code: 0, bigim_time_window: 3000, msgs: [{ bigmsg_client_id: '1', bigmsg_id: 'B-1' }] }, 11);
    expect(calls).toEqual([['sendBigRoomMessage.success', 11, 'B-1']]);
    expect(b.window).toBe(3000);
    b.setWindow(0);
    b.enqueue({ category: 1, type: 1, content: 'b', ok: 'okB', err: 'errB' });
    sent[1].h!.fail!({ code: 'ZegoClient.Error.Timeout', msg: 't' }, 12);
    expect(calls[1]).toEqual(['sendBigRoomMessage.error', { code: 'ZegoClient.Error.Timeout', msg: 't' }, 12]);
  });

  it('reset fails queued messages', () => {
    const { calls, deps } = harness();
    const b = new BigRoomBatcher(deps);
    b.setWindow(5000);
    b.enqueue({ category: 1, type: 1, content: 'a', ok: null, err: null });
    b.enqueue({ category: 1, type: 1, content: 'b', ok: null, err: 'errB' });
    b.reset()();
    expect(calls).toEqual([['sendBigRoomMessage.error', { code: 'ZegoClient.Error.Timeout', msg: 'msg waiting ack is clear when reset.' }, -1]]);
  });
});

describe('relay jitter (notes §3.2)', () => {
  it('window 0 sends at once', () => {
    const { sent, deps } = harness();
    const q = new RelayQueue(deps);
    q.enqueue({ type: '1', data: 'x', ok: null, err: null });
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toEqual({ relay_type: '1', relay_data: 'x' });
  });

  it('with a window, each message waits random(0 .. 2W − now mod W) and one leaves per tick', () => {
    const rnd = vi.fn(() => 0.5);
    const { sent, deps } = harness(rnd);
    const q = new RelayQueue(deps);
    q.setWindow(1000);
    vi.setSystemTime(100_400); // now mod W = 400 → range 1600 → delay 800
    q.enqueue({ type: '1', data: 'a', ok: null, err: null });
    q.enqueue({ type: '1', data: 'b', ok: null, err: null });
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(799);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    expect(sent[0].body.relay_data).toBe('a');
    // re-armed at 101200: mod 200 → range 1800 → delay 900
    vi.advanceTimersByTime(899);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent[1].body.relay_data).toBe('b');
  });

  it('delays stay within [0, 2W)', () => {
    for (const r of [0, 0.999999]) {
      const { sent, deps } = harness(() => r);
      const q = new RelayQueue(deps);
      q.setWindow(1000);
      const t0 = Date.now();
      q.enqueue({ type: '1', data: 'a', ok: null, err: null });
      vi.advanceTimersByTime(5000);
      const d = sent[0].at - t0;
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(2000);
    }
  });

  it('success(seq, relay_result) / error(err, seq)', () => {
    const { sent, calls, deps } = harness();
    const q = new RelayQueue(deps);
    q.enqueue({ type: '1', data: 'a', ok: 'ok', err: 'err' });
    sent[0].h!.ok!({ err_code: 0, relay_result: 'R' }, 5);
    sent[0].h!.fail!({ code: 'ZegoClient.Error.Server', msg: 'm' }, 5);
    expect(calls).toEqual([
      ['sendRelayMessage.success', 5, 'R'],
      ['sendRelayMessage.error', { code: 'ZegoClient.Error.Server', msg: 'm' }, 5],
    ]);
  });
});

describe('big-room receive', () => {
  let server: FakeRoomServer;
  beforeEach(() => {
    server = setup();
  });

  it('push_merge_message 14001 → onRecvBigRoomMessage without own messages', () => {
    const zg = newClient('alice');
    loginNow(zg);
    const recv = vi.fn();
    zg.onRecvBigRoomMessage = recv;
    const msg = (id: string, who: string) => ({ id_name: who, nick_name: `${who}N`, bigmsg_id: id, msg_category: 1, msg_type: 1, msg_content: `c${id}`, send_time: 123 });
    server.push('push_merge_message', {
      messages: [
        { sub_cmd: 14001, msg_body: JSON.stringify({ room_id: 'r1', msg_data: [msg('1', 'alice'), msg('2', 'bob')] }) },
        { sub_cmd: 14001, msg_body: JSON.stringify({ room_id: 'r1', msg_data: [msg('3', 'alice')] }) },
      ],
    });
    expect(recv).toHaveBeenCalledTimes(1);
    expect(recv).toHaveBeenCalledWith([{ idName: 'bob', nickName: 'bobN', messageId: '2', category: 1, type: 1, content: 'c2', time: 123 }], 'r1');
  });

  it('the login and hb windows drive the batcher', () => {
    const zg = newClient('alice');
    server.handlers.login = (f) => server.loginOk(f, { bigim_time_window: 5000, dati_time_window: 2000 });
    server.handlers.hb = () => server.hbBody({ bigim_time_window: 4000, dati_time_window: 3000 });
    zg.login('r1', 1, 't', vi.fn(), vi.fn());
    vi.advanceTimersByTime(1);
    // login answered at +2ms; hb answered at +3ms
    vi.advanceTimersByTime(1);
    expect(zg._room.bigRoom.window).toBe(5000);
    expect(zg._room.relay.window).toBe(2000);
    vi.advanceTimersByTime(5);
    expect(zg._room.bigRoom.window).toBe(4000);
    expect(zg._room.relay.window).toBe(3000);
  });
});
