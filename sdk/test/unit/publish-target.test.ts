import { describe, expect, it } from 'vitest';
import { md5Hex } from '../../src/room/md5';
import { PublishTarget } from '../../src/room/publish-target';
import type { RequestHandlers } from '../../src/room/requester';

// md5 of the UTF-8 bytes c3 a9, computed with `printf '\xc3\xa9' | md5sum`.
const HASH_E_ACUTE = '66ddcd97cfdeabb2f6fb8a999b4bc76f';

describe('md5Hex', () => {
  it('matches RFC 1321 test vectors and hashes UTF-8', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5Hex('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(md5Hex('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toBe(
      '57edf4a22be3c955ac49da2e2107b67a',
    );
    // Non-ASCII text is hashed as UTF-8 (as the server's md5 of the same string).
    expect(md5Hex('\u00e9')).toBe(HASH_E_ACUTE);
  });
});

function harness(answer: (h: RequestHandlers) => void) {
  const sent: { cmd: string; body: Record<string, string> }[] = [];
  const results: unknown[] = [];
  const pt = new PublishTarget({
    request: (cmd, body, h) => {
      sent.push({ cmd, body: body as Record<string, string> });
      if (h) answer(h);
      return 1;
    },
    call: (_name, fn, ...args) => (fn as (...a: unknown[]) => void)(...args),
    appid: () => 1739272706,
    version: '1.12.2',
    nowMs: () => 1_700_000_000_500,
  });
  const send = () =>
    pt.send(
      { type: 'addpush', streamId: 's1', pushUrl: 'rtmp://h/live/s1', appSecret: 'secret' },
      () => results.push('ok'),
      (e) => results.push(e),
    );
  return { sent, results, send };
}

describe('publishTarget', () => {
  it('signs md5(appid + timestamp + appSecret) and counts seq', () => {
    const { sent, results, send } = harness((h) => h.ok?.({ err_code: 0, rsp_body: '{"code":0,"message":"ok"}' }, 1));
    send();
    send();
    expect(sent[0].cmd).toBe('biz_channel');
    expect(sent[0].body.channel).toBe('media');
    expect(sent[0].body.cmd).toBe('addpush');
    const req = JSON.parse(sent[0].body.req_body);
    expect(req).toMatchObject({ appid: 1739272706, biz_type: 0, timestamp: 1700000000, seq: 1, stream_id: 's1', pushurl: 'rtmp://h/live/s1' });
    expect(req.signature).toBe(md5Hex('17392727061700000000secret'));
    expect(JSON.parse(sent[1].body.req_body).seq).toBe(2);
    expect(results).toEqual(['ok', 'ok']);
  });

  it('maps a server code, an empty answer and biz_channel errors', () => {
    let r = harness((h) => h.ok?.({ rsp_body: '{"code":2,"message":"bad signature"}' }, 1));
    r.send();
    expect(r.results).toEqual([{ code: 2, message: 'bad signature' }]);
    r = harness((h) => h.ok?.({ rsp_body: '' }, 1));
    r.send();
    expect(r.results).toEqual([{ code: 'ZegoClient.Error.Server', msg: 'unknown error code:10001' }]);
    r = harness((h) => h.fail?.({ code: 'ZegoClient.Error.Server', msg: 'x' }, 1, 2001));
    r.send();
    expect(r.results).toEqual([{ code: 2001, message: 'invalid channel' }]);
  });
});
