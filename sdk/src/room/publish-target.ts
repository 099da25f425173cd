/**
 * publishTarget (reference §1.41, notes §8.4): asks the server to relay a stream this client publishes to an RTMP
 * URL (addpush), to stop one relay (delpush) or all of the stream's relays (clearpush). The request rides on
 * `biz_channel {channel:"media"}` signed with md5(appid + timestamp + appSecret).
 */
import { serverError, type ZegoError } from '../errors';
import type { CallUser, Request } from './requester';
import { md5Hex } from './md5';

export type PublishTargetType = 'addpush' | 'delpush' | 'clearpush';

export interface CdnPublishConfig {
  type: PublishTargetType;
  streamId: string;
  pushUrl: string;
  appSecret: string;
}

/** What the server's answer maps to: error objects carry the server's `{code, message}`. */
export type PublishTargetError = ZegoError | { code: number; message: string };

/** Messages of the biz_channel codes the caller gets as `{code, message}` (notes §8.4). */
const BIZ_MESSAGES: Record<number, string> = { 2001: 'invalid channel', 2002: 'bizchannel error' };

export interface PublishTargetDeps {
  request: Request;
  call: CallUser;
  appid: () => number;
  version: string;
  nowMs: () => number;
}

export class PublishTarget {
  private seq = 0;

  constructor(private readonly deps: PublishTargetDeps) {}

  /** The req_body of a command (exported for tests: the server checks exactly this). */
  body(cfg: CdnPublishConfig): Record<string, unknown> {
    const appid = this.deps.appid();
    const timestamp = Math.floor(this.deps.nowMs() / 1000);
    return {
      appid,
      biz_type: 0,
      timestamp,
      signature: md5Hex(`${appid}${timestamp}${cfg.appSecret}`),
      seq: ++this.seq,
      version: this.deps.version,
      stream_id: cfg.streamId,
      pushurl: cfg.pushUrl,
    };
  }

  send(cfg: CdnPublishConfig, ok: () => void, err: (e: PublishTargetError) => void): boolean {
    const seq = this.deps.request(
      'biz_channel',
      { channel: 'media', cmd: cfg.type, req_body: JSON.stringify(this.body(cfg)) },
      {
        ok: (b) => {
          const raw = typeof b.rsp_body === 'string' ? b.rsp_body : '';
          if (raw === '') return this.deps.call('publishTarget.error', err, serverError(10001));
          let rsp: { code?: unknown; message?: unknown };
          try {
            rsp = JSON.parse(raw) as { code?: unknown; message?: unknown };
          } catch {
            return this.deps.call('publishTarget.error', err, serverError(10001));
          }
          const code = typeof rsp.code === 'number' ? rsp.code : 0;
          if (code !== 0) {
            return this.deps.call('publishTarget.error', err, { code, message: typeof rsp.message === 'string' ? rsp.message : '' });
          }
          this.deps.call('publishTarget.success', ok);
        },
        fail: (e, _seq, errCode) => {
          const known = errCode !== undefined ? BIZ_MESSAGES[errCode] : undefined;
          this.deps.call('publishTarget.error', err, known !== undefined ? { code: errCode, message: known } : e);
        },
      },
    );
    return seq >= 0;
  }
}
