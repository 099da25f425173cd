/**
 * Server-side stream mixing (API reference §1.31/§1.32, protocol notes §8.1/§8.2): `updateMixStream` and
 * `stopMixStream` are `biz_channel {channel:"zeus", cmd:"start_mix"|"stop_mix", req_body:<JSON string>}`.
 * A failure code c reaches the application as serverError(10000 + c) (the original SDK's mapping), with the
 * inputs the server could not find (`non_exist_streams`, code 1000000150) for updateMixStream.
 */
import { serverError, type ZegoError } from '../errors';
import { SDK_VERSION } from '../version';
import type { CallUser, Request } from './requester';

/** What the original SDK adds to a biz_channel failure code before mapping it. */
export const MIX_ERROR_OFFSET = 10000;
/** The code for an answer without rsp_body (10000 + 1). */
export const MIX_EMPTY_RESPONSE = 10001;
/** Longest UserData the request carries. */
export const USER_DATA_MAX = 10000;

export interface MixInputConfig {
  streamId: string;
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface MixStreamConfig {
  outputStreamId?: string;
  outputUrl?: string;
  outputBitrate: number;
  outputFps: number;
  outputWidth: number;
  outputHeight: number;
  outputAudioConfig?: number;
  outputAudioBitrate?: number;
  outputAudioChannels?: number;
  outputBgColor?: number;
  outputBgImage?: string;
  streamList: MixInputConfig[];
  extraParams?: { key: string; value: string }[];
  userData?: string;
}

export interface MixStreamInfo {
  rtmpUrls: string[] | null;
  hlsUrls: string[] | null;
  flvUrls: string[] | null;
}

export interface MixDeps {
  request: Request;
  call: CallUser;
  appid(): number;
  idName(): string;
  roomId(): string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function hasOutput(c: Record<string, unknown>): boolean {
  return Boolean(c.outputStreamId) || Boolean(c.outputUrl);
}

/** The client-side checks of notes §8.1: a reason to refuse (nothing is sent, no callback), or null. */
export function checkUpdateConfig(c: unknown): string | null {
  if (!isObject(c)) return 'mixStreamConfig must be an object';
  if (!hasOutput(c)) return 'outputStreamId or outputUrl is required';
  if (!Array.isArray(c.streamList) || c.streamList.length === 0) return 'streamList must be a non-empty array';
  for (const k of ['outputBitrate', 'outputFps', 'outputWidth', 'outputHeight']) {
    if (!c[k]) return `${k} is required`;
  }
  if (c.outputBgColor !== undefined && typeof c.outputBgColor !== 'number') return 'outputBgColor must be a number';
  if (c.outputBgImage !== undefined && !(typeof c.outputBgImage === 'string' && c.outputBgImage.startsWith('preset-id://'))) {
    return 'outputBgImage must start with preset-id://';
  }
  return null;
}

export function checkStopConfig(c: unknown): string | null {
  if (!isObject(c)) return 'mixStreamConfig must be an object';
  if (!hasOutput(c)) return 'outputStreamId or outputUrl is required';
  return null;
}

/** The output as the server addresses it: the stream id wins over the URL (reference §1.31). */
function outputField(c: MixStreamConfig): { stream_id: string } | { mixurl: string } {
  return c.outputStreamId ? { stream_id: c.outputStreamId } : { mixurl: c.outputUrl ?? '' };
}

function parseBody(s: unknown): Record<string, unknown> | null {
  if (typeof s !== 'string' || s === '') return null;
  try {
    const v: unknown = JSON.parse(s);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

function urls(u: unknown): string[] | null {
  return typeof u === 'string' && u !== '' ? [u] : null;
}

export class MixStream {
  constructor(private readonly deps: MixDeps) {}

  private common(): Record<string, unknown> {
    return { id_name: this.deps.idName(), live_channel: this.deps.roomId(), appid: this.deps.appid(), version: SDK_VERSION };
  }

  /** Starts or updates a mix: ok(outputStreamId, [{rtmpUrls, hlsUrls, flvUrls}]) / err(error, nonExistingInputIds). */
  update(c: MixStreamConfig, ok: unknown, err: unknown): boolean {
    const output: Record<string, unknown> = {
      ...outputField(c),
      bitrate: c.outputBitrate,
      fps: c.outputFps,
      width: c.outputWidth,
      height: c.outputHeight,
      testenv: 0,
    };
    if (c.outputAudioConfig !== undefined) output.audio_enc_id = c.outputAudioConfig;
    if (c.outputAudioBitrate !== undefined) output.audio_bitrate = c.outputAudioBitrate;
    if (c.outputAudioChannels !== undefined) output.audio_channel_cnt = c.outputAudioChannels;
    const req: Record<string, unknown> = {
      ...this.common(),
      MixInput: c.streamList.map((s, i) => ({
        stream_id: s.streamId,
        rect: { layer: i, top: s.top, left: s.left, bottom: s.bottom, right: s.right },
      })),
      MixOutput: [output],
    };
    if (typeof c.userData === 'string' && c.userData.length <= USER_DATA_MAX) req.UserData = c.userData;
    if (c.outputBgColor !== undefined) req.output_bg_color = c.outputBgColor;
    if (c.outputBgImage !== undefined) req.output_bg_image = c.outputBgImage;
    if (Array.isArray(c.extraParams)) req.extra_params = c.extraParams;
    const call = this.deps.call;
    const seq = this.deps.request(
      'biz_channel',
      { channel: 'zeus', cmd: 'start_mix', req_body: JSON.stringify(req) },
      {
        ok: (b) => {
          const body = parseBody(b.rsp_body);
          if (body === null) {
            call('updateMixStream.error', err, serverError(MIX_EMPTY_RESPONSE), []);
            return;
          }
          const play = Array.isArray(body.play) ? body.play : [];
          const info: MixStreamInfo[] = play.filter(isObject).map((p) => ({
            rtmpUrls: urls(p.rtmp_url),
            hlsUrls: urls(p.hls_url),
            flvUrls: urls(p.hdl_url),
          }));
          call('updateMixStream.success', ok, c.outputStreamId, info);
        },
        fail: (e, _seq, code, b) => {
          if (code === undefined) {
            call('updateMixStream.error', err, e);
            return;
          }
          const body = b ? parseBody(b.rsp_body) : null;
          const missing = body && Array.isArray(body.non_exist_streams) ? body.non_exist_streams.filter((s) => typeof s === 'string') : [];
          call('updateMixStream.error', err, serverError(MIX_ERROR_OFFSET + code), missing);
        },
      },
    );
    return seq >= 0;
  }

  /** Stops a mix: ok() / err(error). */
  stop(c: MixStreamConfig, ok: unknown, err: unknown): boolean {
    const req = { ...this.common(), ...outputField(c) };
    const call = this.deps.call;
    const seq = this.deps.request(
      'biz_channel',
      { channel: 'zeus', cmd: 'stop_mix', req_body: JSON.stringify(req) },
      {
        ok: () => call('stopMixStream.success', ok),
        fail: (e: ZegoError, _seq, code) => call('stopMixStream.error', err, code === undefined ? e : serverError(MIX_ERROR_OFFSET + code)),
      },
    );
    return seq >= 0;
  }
}
