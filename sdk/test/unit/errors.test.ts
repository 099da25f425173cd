import { describe, expect, it } from 'vitest';
import { frequencyLimitedError, kickoutError, serverError } from '../../src/errors';
import { ZegoClient } from '../../src/zego-client';

describe('server error mapping (notes §1.7)', () => {
  it.each([
    [1, 'parse json error.'],
    [1001, 'login is processing.'],
    [1002, 'liveroom request error.'],
    [1003, 'zpush connect fail.'],
    [1004, 'zpush handshake fail.'],
    [1005, 'zpush login fail.'],
    [1006, 'user login state is wrong.'],
    [1007, 'got no zpush addr'],
    [1008, 'token error'],
    [1009, 'dispatch error'],
    [2002, 'biz channel error'],
    [1000000005, 'liveroom cmd error, result=1000000005'],
    [1000000000, 'unknown error code:1000000000'],
    [77, 'unknown error code:77'],
  ])('%d → %s', (code, msg) => {
    expect(serverError(code)).toEqual({ code: 'ZegoClient.Error.Server', msg });
  });

  it('0 is success; kick-out and frequency-limit objects', () => {
    expect(serverError(0)).toEqual({ code: 'ZegoClient.Success', msg: 'success' });
    expect(kickoutError(1)).toEqual({ code: 'ZegoClient.Error.Kickout', msg: 'kickout reason=1' });
    expect(frequencyLimitedError()).toEqual({ code: 'ZegoClient.Error.requencyLimited', msg: 'Frequency Limited.' });
  });

  it('exposes the code strings on the class', () => {
    expect(ZegoClient.Error.Timeout).toBe('ZegoClient.Error.Timeout');
    expect(ZegoClient.Error.requencyLimited).toBe('ZegoClient.Error.requencyLimited');
    expect(ZegoClient.Success).toBe('ZegoClient.Success');
  });
});
