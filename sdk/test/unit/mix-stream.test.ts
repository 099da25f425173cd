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

const config = () => ({
  outputStreamId: 'mix',
  outputUrl: 'rtmp://cdn/live/mix',
  outputBitrate: 800000,
  outputFps: 15,
  outputWidth: 640,
  outputHeight: 360,
  outputAudioConfig: 2,
  outputBgColor: 0x11223300,
  outputBgImage: 'preset-id://logo',
  streamList: [
    { streamId: 'a', top: 0, left: 0, bottom: 360, right: 320 },
    { streamId: 'b', top: 0, left: 320, bottom: 360, right: 640 },
  ],
  extraParams: [{ key: 'video_encode', value: 'vp8' }],
});

function bizReqBody(): Record<string, unknown> {
  const f = server.sentOf('biz_channel')[0];
  expect(f.body.channel).toBe('zeus');
  return JSON.parse(f.body.req_body as string) as Record<string, unknown>;
}

describe('updateMixStream', () => {
  it('sends start_mix with the inputs as layered rectangles and reports the output URLs', () => {
    const zg = newClient('alice');
    loginNow(zg, 'room-1');
    server.handlers.biz_channel = () => ({
      err_code: 0,
      cmd: 'start_mix',
      rsp_body: JSON.stringify({ play: [{ rtmp_url: 'rtmp://cdn/live/mix', hls_url: 'http://h/live/1/mix.m3u8', hdl_url: 'http://h/live/1/mix.flv' }] }),
    });
    const ok = vi.fn();
    const err = vi.fn();
    expect(zg.updateMixStream(config(), ok, err)).toBe(true);
    expect(server.sentOf('biz_channel')[0].body.cmd).toBe('start_mix');
    const req = bizReqBody();
    expect(req).toMatchObject({
      id_name: 'alice',
      live_channel: 'room-1',
      MixInput: [
        { stream_id: 'a', rect: { layer: 0, top: 0, left: 0, bottom: 360, right: 320 } },
        { stream_id: 'b', rect: { layer: 1, top: 0, left: 320, bottom: 360, right: 640 } },
      ],
      output_bg_color: 0x11223300,
      output_bg_image: 'preset-id://logo',
      extra_params: [{ key: 'video_encode', value: 'vp8' }],
    });
    // outputStreamId wins over outputUrl.
    expect(req.MixOutput).toEqual([{ stream_id: 'mix', bitrate: 800000, fps: 15, width: 640, height: 360, audio_enc_id: 2, testenv: 0 }]);
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith('mix', [
      { rtmpUrls: ['rtmp://cdn/live/mix'], hlsUrls: ['http://h/live/1/mix.m3u8'], flvUrls: ['http://h/live/1/mix.flv'] },
    ]);
    expect(err).not.toHaveBeenCalled();
  });

  it('maps a failure code c to serverError(10000 + c) with the missing inputs', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.biz_channel = () => ({
      err_code: 1000000150,
      cmd: 'start_mix',
      rsp_body: JSON.stringify({ non_exist_streams: ['b'] }),
    });
    const err = vi.fn();
    expect(zg.updateMixStream(config(), vi.fn(), err)).toBe(true);
    vi.advanceTimersByTime(5);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'liveroom cmd error, result=1000010150' }, ['b']);
  });

  it('treats an empty rsp_body as serverError(10001) and a missing answer as a timeout', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.biz_channel = () => ({ err_code: 0, cmd: 'start_mix', rsp_body: '' });
    const err = vi.fn();
    zg.updateMixStream(config(), vi.fn(), err);
    vi.advanceTimersByTime(5);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'unknown error code:10001' }, []);
    server.handlers.biz_channel = () => null;
    const err2 = vi.fn();
    zg.updateMixStream(config(), vi.fn(), err2);
    vi.advanceTimersByTime(8000);
    expect(err2).toHaveBeenCalledTimes(1);
    expect(err2.mock.calls[0][0].code).toBe('ZegoClient.Error.Timeout');
  });

  it('refuses bad configurations without sending or calling back', () => {
    const zg = newClient();
    loginNow(zg);
    const err = vi.fn();
    const bad = [
      { ...config(), outputStreamId: '', outputUrl: '' },
      { ...config(), streamList: [] },
      { ...config(), outputFps: 0 },
      { ...config(), outputWidth: undefined },
      { ...config(), outputBgColor: '0x000000' },
      { ...config(), outputBgImage: 'http://x/bg.png' },
    ];
    for (const c of bad) expect(zg.updateMixStream(c as never, vi.fn(), err)).toBe(false);
    expect(server.sentOf('biz_channel')).toHaveLength(0);
    vi.advanceTimersByTime(10);
    expect(err).not.toHaveBeenCalled();
  });

  it('sends an output URL as mixurl when there is no output stream', () => {
    const zg = newClient();
    loginNow(zg);
    server.handlers.biz_channel = () => ({ err_code: 0, cmd: 'start_mix', rsp_body: '{"play":[{"rtmp_url":"rtmp://cdn/live/mix"}]}' });
    const ok = vi.fn();
    zg.updateMixStream({ ...config(), outputStreamId: undefined }, ok, vi.fn());
    expect((bizReqBody().MixOutput as Record<string, unknown>[])[0].mixurl).toBe('rtmp://cdn/live/mix');
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith(undefined, [{ rtmpUrls: ['rtmp://cdn/live/mix'], hlsUrls: null, flvUrls: null }]);
  });
});

describe('stopMixStream', () => {
  it('sends stop_mix for the output and reports ok() or serverError(10000 + c)', () => {
    const zg = newClient('alice');
    loginNow(zg, 'room-1');
    server.handlers.biz_channel = () => ({ err_code: 0, cmd: 'stop_mix', rsp_body: '' });
    const ok = vi.fn();
    expect(zg.stopMixStream({ outputStreamId: 'mix' } as never, ok, vi.fn())).toBe(true);
    const f = server.sentOf('biz_channel')[0];
    expect(f.body.cmd).toBe('stop_mix');
    expect(bizReqBody()).toMatchObject({ id_name: 'alice', live_channel: 'room-1', stream_id: 'mix' });
    vi.advanceTimersByTime(5);
    expect(ok).toHaveBeenCalledWith();

    server.handlers.biz_channel = () => ({ err_code: 1000000152, cmd: 'stop_mix', rsp_body: '' });
    const err = vi.fn();
    zg.stopMixStream({ outputUrl: 'rtmp://x/y' } as never, vi.fn(), err);
    vi.advanceTimersByTime(5);
    expect(err).toHaveBeenCalledWith({ code: 'ZegoClient.Error.Server', msg: 'liveroom cmd error, result=1000010152' });
    expect(zg.stopMixStream({} as never, vi.fn(), vi.fn())).toBe(false);
  });
});
