import { vi } from 'vitest';
import { ZegoClient } from '../../../src/zego-client';
import { RECONNECT_BASE_DELAY_MS } from '../../../src/room/login-retry';
import { FakeRoomServer } from './fake-server';

export const SERVER = 'ws://primary.test/ws';
export const BACKUP = 'ws://backup.test/ws';

export function newClient(idName = 'alice', server: string | string[] = SERVER): ZegoClient {
  const zg = new ZegoClient();
  const ok = zg.config({ appid: 42, server, idName, nickName: `${idName}-nick`, logLevel: 100, remoteLogLevel: 100 });
  if (!ok) throw new Error('config failed');
  return zg;
}

/** Logs in against the fake server and advances time until the login completed. */
export function loginNow(zg: ZegoClient, roomId = 'r1', success = vi.fn(), error = vi.fn()): { success: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> } {
  zg.login(roomId, 1, 'token', success, error);
  vi.advanceTimersByTime(5);
  if (success.mock.calls.length !== 1) throw new Error(`login did not succeed: ${JSON.stringify(error.mock.calls)}`);
  return { success, error };
}

export function setup(): FakeRoomServer {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  return new FakeRoomServer();
}

/** Time after a dropped connection by which the re-login is done: its first wait is under RECONNECT_BASE_DELAY_MS. */
export const RELOGIN_MS = RECONNECT_BASE_DELAY_MS + 10;

/** A seeded PRNG (mulberry32) in [0, 1): reproducible jitter for tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
