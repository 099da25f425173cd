/**
 * Error objects handed to application callbacks: `{code, msg}` with the code strings of the API reference
 * (§5 "Signalling error codes") and the messages of the original SDK (protocol notes §1.7).
 */
export interface ZegoError {
  code: string;
  msg: string;
}

export const ErrorCode = {
  Success: 'ZegoClient.Success',
  Param: 'ZegoClient.Error.Param',
  Timeout: 'ZegoClient.Error.Timeout',
  Network: 'ZegoClient.Error.Network',
  Kickout: 'ZegoClient.Error.Kickout',
  Server: 'ZegoClient.Error.Server',
  Unknown: 'ZegoClient.Error.Unknown',
  /** Spelled as the original SDK spells it (sic). */
  FrequencyLimited: 'ZegoClient.Error.requencyLimited',
} as const;

const SERVER_MESSAGES: Record<number, string> = {
  1: 'parse json error.',
  1001: 'login is processing.',
  1002: 'liveroom request error.',
  1003: 'zpush connect fail.',
  1004: 'zpush handshake fail.',
  1005: 'zpush login fail.',
  1006: 'user login state is wrong.',
  1007: 'got no zpush addr',
  1008: 'token error',
  1009: 'dispatch error',
  2002: 'biz channel error',
};

/** Maps a server `err_code` to the error object of notes §1.7 (0 maps to success). */
export function serverError(errCode: number): ZegoError {
  if (errCode === 0) return { code: ErrorCode.Success, msg: 'success' };
  const known = SERVER_MESSAGES[errCode];
  if (known !== undefined) return { code: ErrorCode.Server, msg: known };
  if (errCode > 1000000000) return { code: ErrorCode.Server, msg: `liveroom cmd error, result=${errCode}` };
  return { code: ErrorCode.Server, msg: `unknown error code:${errCode}` };
}

export function paramError(msg = 'input error.'): ZegoError {
  return { code: ErrorCode.Param, msg };
}

export function timeoutError(msg: string): ZegoError {
  return { code: ErrorCode.Timeout, msg };
}

export function networkError(msg: string): ZegoError {
  return { code: ErrorCode.Network, msg };
}

export function kickoutError(reason: unknown): ZegoError {
  return { code: ErrorCode.Kickout, msg: `kickout reason=${String(reason)}` };
}

export function unknownError(msg = 'unknown error.'): ZegoError {
  return { code: ErrorCode.Unknown, msg };
}

export function frequencyLimitedError(): ZegoError {
  return { code: ErrorCode.FrequencyLimited, msg: 'Frequency Limited.' };
}

/** Messages the original SDK uses for its client-side timeouts. */
export const TimeoutMessage = {
  send: 'send customsg timeout.',
  reset: 'msg waiting ack is clear when reset.',
  heartbeat: 'heartbeat timeout.',
  login: 'login timeout.',
} as const;
