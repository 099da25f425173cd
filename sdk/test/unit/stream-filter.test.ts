import { describe, expect, it } from 'vitest';
import { isSafari, pickStream, playableUrls } from '../../src/room/stream-filter';
import { toPublicStream } from '../../src/room/stream-list';

const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

const stream = toPublicStream({
  stream_id: 's1',
  anchor_id_name: 'a',
  anchor_nick_name: 'A',
  extra_info: '',
  stream_gid: 'g',
  urls_flv: ['http://cdn/s1.flv', 'http://cdn/s1.flv'],
  urls_https_flv: ['https://cdn/s1.flv'],
  urls_m3u8: ['http://cdn/s1.m3u8'],
  urls_https_m3u8: ['https://cdn/s1.m3u8'],
  urls_rtmp: ['rtmp://cdn/live/s1'],
});

describe('filterStreamList (notes §8.3)', () => {
  it('recognises Safari but not Chrome', () => {
    expect(isSafari(SAFARI)).toBe(true);
    expect(isSafari(CHROME)).toBe(false);
  });

  it('Safari gets the HLS URLs of the page protocol', () => {
    expect(playableUrls(stream, SAFARI, 'https:')).toEqual(['https://cdn/s1.m3u8']);
    expect(playableUrls(stream, SAFARI, 'http:')).toEqual(['http://cdn/s1.m3u8']);
  });

  it('other browsers get FLV: any on http pages, https only on https pages; rtmp pages get RTMP; de-duplicated', () => {
    expect(playableUrls(stream, CHROME, 'http:')).toEqual(['http://cdn/s1.flv', 'https://cdn/s1.flv']);
    expect(playableUrls(stream, CHROME, 'https:')).toEqual(['https://cdn/s1.flv']);
    expect(playableUrls(stream, CHROME, 'rtmp:')).toEqual(['rtmp://cdn/live/s1']);
    expect(playableUrls(stream, CHROME, 'file:')).toEqual([]);
    expect(playableUrls(undefined, CHROME, 'http:')).toEqual([]);
  });

  it('picks the named stream, or the first', () => {
    const other = { ...stream, stream_id: 's2' };
    expect(pickStream([stream, other])).toBe(stream);
    expect(pickStream([stream, other], 's2')).toBe(other);
    expect(pickStream([stream, other], 'nope')).toBeUndefined();
    expect(pickStream([])).toBeUndefined();
  });
});
