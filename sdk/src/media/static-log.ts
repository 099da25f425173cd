/**
 * The logger of the static helpers (snapshots, recording): they work without a ZegoClient, so without its
 * configuration; lines go to the console at the default level (info).
 */
import { Logger } from '../logging/logger';

export const staticLog = new Logger(() => ({ appid: 0, roomid: '', userid: '', userName: '', sessionid: '' }));

export function invalidStatic(api: string, why: string): false {
  staticLog.error(`zc.${api}.param ${why}`);
  return false;
}
