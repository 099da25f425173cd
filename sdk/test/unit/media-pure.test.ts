import { describe, expect, it } from 'vitest';
import { encodingParams, mediaConstraints, switchConstraints, videoPreset } from '../../src/media/constraints';
import { mediaError } from '../../src/media/errors';
import { sdkVersionNumber } from '../../src/media/media';
import { playQuality, publishQuality, qualityScore, snapshot } from '../../src/media/quality';
import { filterVideoCodec, mungePlayOffer, mungePublishOffer, parseVideoCodec } from '../../src/media/sdp';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendrecv',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 45 46',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendrecv',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtcp-fb:102 nack pli',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:105 rtx/90000',
  'a=fmtp:105 apt=104',
  'a=rtpmap:45 AV1/90000',
  'a=rtpmap:46 rtx/90000',
  'a=fmtp:46 apt=45',
  '',
].join('\r\n');

describe('presets and constraints (notes §10, §13)', () => {
  it('videoQuality presets, default, custom and horizontal', () => {
    expect(videoPreset({ videoQuality: 1 })).toEqual({ width: 240, height: 320, frameRate: 15, bitRate: 300 });
    expect(videoPreset({ videoQuality: 2 })).toEqual({ width: 480, height: 640, frameRate: 15, bitRate: 800 });
    expect(videoPreset({ videoQuality: 3 })).toEqual({ width: 720, height: 1280, frameRate: 20, bitRate: 1500 });
    expect(videoPreset({})).toEqual({ width: 640, height: 480, frameRate: 15, bitRate: 800 });
    expect(videoPreset({ videoQuality: 7 })).toEqual({ width: 640, height: 480, frameRate: 15, bitRate: 800 });
    expect(videoPreset({ videoQuality: 4, width: 1920, height: 1080, frameRate: 30, bitRate: 2500 })).toEqual({ width: 1920, height: 1080, frameRate: 30, bitRate: 2500 });
    expect(videoPreset({ videoQuality: 4, width: 100, height: 50, frameRate: 5, bitrate: 90 }).bitRate).toBe(90);
    expect(videoPreset({ videoQuality: 4, width: 100, height: 50, frameRate: 5 }).bitRate).toBe(800);
    expect(videoPreset({ videoQuality: 3, horizontal: true })).toEqual({ width: 1280, height: 720, frameRate: 20, bitRate: 1500 });
    expect(encodingParams({ videoQuality: 1 }).audioBitRate).toBe(48000);
    expect(encodingParams({ videoQuality: 1, audioBitRate: 64000 }).audioBitRate).toBe(64000);
  });

  it('audio: true unless a device or a processing switch is given; facingMode beats videoInput', () => {
    expect(mediaConstraints({})).toEqual({ audio: true, video: { width: 640, height: 480, frameRate: 15 } });
    expect(mediaConstraints({ audio: false, video: false })).toEqual({});
    expect(mediaConstraints({ audioInput: 'mic2', echoCancellation: false, video: false })).toEqual({ audio: { deviceId: 'mic2', echoCancellation: false } });
    expect(mediaConstraints({ noiseSuppression: true, autoGainControl: false, video: false })).toEqual({ audio: { noiseSuppression: true, autoGainControl: false } });
    expect(mediaConstraints({ audio: false, videoInput: 'cam2', videoQuality: 1 })).toEqual({ video: { width: 240, height: 320, frameRate: 15, deviceId: { exact: 'cam2' } } });
    expect(mediaConstraints({ audio: false, videoInput: 'cam2', facingMode: 'user' })).toEqual({ video: { width: 640, height: 480, frameRate: 15, facingMode: 'user' } });
    expect(switchConstraints({ videoQuality: 2, facingMode: 'user' }, 'video', 'cam3')).toEqual({ video: { width: 480, height: 640, frameRate: 15, deviceId: { exact: 'cam3' } } });
    expect(switchConstraints({ echoCancellation: false }, 'audio', 'mic3')).toEqual({ audio: { echoCancellation: false, deviceId: { exact: 'mic3' } } });
  });
});

describe('SDP munging (notes §7.3)', () => {
  it('keeps only the requested codec and its RTX; H.264 only in packetization mode 1', () => {
    const h = filterVideoCodec(OFFER, 'H264');
    expect(h).toContain('m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\n');
    expect(h).not.toMatch(/a=rtpmap:(96|97|104|105|45|46) /);
    expect(h).toContain('a=fmtp:103 apt=102');
    expect(h).toContain('a=rtcp-fb:102 nack pli');
    expect(h).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111 63');
    const v = filterVideoCodec(OFFER, 'VP8');
    expect(v).toContain('m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n');
    expect(v).not.toContain('H264');
  });

  it('publish offer: sendonly, b=AS on video, Opus maxaveragebitrate', () => {
    const s = mungePublishOffer(OFFER, { codec: 'VP8', videoKbps: 800, audioBps: 64000, firefox: false });
    expect(s).not.toContain('a=sendrecv');
    expect(s.match(/a=sendonly/g)).toHaveLength(2);
    expect(s).toMatch(/m=video[^\n]*\r\nc=IN IP4 0.0.0.0\r\nb=AS:800\r\n/);
    expect(s).toContain('a=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=64000');
    expect(mungePublishOffer(OFFER, { codec: 'H264', videoKbps: 300, audioBps: 48000, firefox: true })).toContain('b=TIAS:300000');
  });

  it('play offer: recvonly, codec filter only when asked', () => {
    const s = mungePlayOffer(OFFER, null);
    expect(s.match(/a=recvonly/g)).toHaveLength(2);
    expect(s).toContain('VP8');
    expect(s).toContain('H264');
    expect(mungePlayOffer(OFFER, 'VP8')).not.toContain('H264');
  });

  it('videoDecodeType spellings', () => {
    expect(parseVideoCodec('VP8')).toBe('VP8');
    expect(parseVideoCodec('vp8')).toBe('VP8');
    expect(parseVideoCodec('H264')).toBe('H264');
    expect(parseVideoCodec('H.264')).toBe('H264');
    expect(parseVideoCodec('AV1')).toBeNull();
    expect(parseVideoCodec(3)).toBeNull();
  });
});

describe('quality (notes §7.6)', () => {
  const stat = (o: Record<string, unknown>) => o;
  const report = (bytesA: number, bytesV: number, frames: number, sent: number) => [
    stat({ id: 'c1', type: 'codec', clockRate: 48000 }),
    stat({ id: 'oa', type: 'outbound-rtp', kind: 'audio', bytesSent: bytesA, codecId: 'c1' }),
    stat({ id: 'ov', type: 'outbound-rtp', kind: 'video', bytesSent: bytesV, framesEncoded: frames, framesSent: sent, frameWidth: 640, frameHeight: 480, nackCount: 1, pliCount: 2 }),
    stat({ id: 'p1', type: 'candidate-pair', totalRoundTripTime: 0.5, currentRoundTripTime: 0.02, responsesReceived: 10 }),
    stat({ id: 't1', type: 'transport', selectedCandidatePairId: 'p1' }),
  ];

  it('publish: kbps from Δbytes over Δms, fps from Δframes, sizes and RTT', () => {
    const a = snapshot('publish', report(0, 0, 0, 0), 1000);
    const b = snapshot('publish', report(6000, 100000, 15, 14), 2000);
    expect(publishQuality(a, b)).toEqual({
      videoBitrate: 800,
      audioBitrate: 48,
      videoFPS: 15,
      videoTransferFPS: 14,
      frameWidth: 640,
      frameHeight: 480,
      nackCount: 1,
      pliCount: 2,
      totalRoundTripTime: 500,
      currentRoundTripTime: 20,
      audioCodeType: 'opus',
    });
  });

  it('play: loss fractions and scores', () => {
    const mk = (bytes: number, frames: number, lost: number, recv: number, at: number) =>
      snapshot(
        'play',
        new Map(
          Object.entries({
            a: { id: 'a', type: 'inbound-rtp', kind: 'audio', bytesReceived: bytes / 10, packetsLost: lost, packetsReceived: recv, jitter: 0.01, audioLevel: 0.3, codecId: 'c' },
            c: { id: 'c', type: 'codec', clockRate: 48000 },
            v: { id: 'v', type: 'inbound-rtp', kind: 'video', bytesReceived: bytes, framesDecoded: frames, framesReceived: frames + 1, framesDropped: 1, frameWidth: 320, frameHeight: 240, packetsLost: 0, packetsReceived: recv },
            p: { id: 'p', type: 'candidate-pair', selected: true, totalRoundTripTime: 1, currentRoundTripTime: 0.001 },
          }),
        ),
        at,
      );
    const q = playQuality(mk(0, 0, 0, 0, 0), mk(250000, 30, 10, 90, 2000));
    expect(q).toMatchObject({
      videoBitrate: 1000,
      audioBitrate: 100,
      videoFPS: 15,
      videoTransferFPS: 15,
      frameWidth: 320,
      frameHeight: 240,
      audioFractionLost: 0.1,
      audioPacketsLostRate: 10,
      videoFractionLost: 0,
      videoFramesDecoded: 30,
      audioSamplingRate: 48000,
      currentRoundTripTime: 1,
      audioQuality: 5,
      videoQuality: 5,
    });
    expect(qualityScore(100, 0.5)).toBe(2);
    expect(qualityScore(100, 0.35)).toBe(4);
    expect(qualityScore(700, 0.25)).toBe(3);
    expect(qualityScore(700, 0)).toBe(4);
    expect(qualityScore(1000, 0.3)).toBe(2);
    expect(qualityScore(1000, 0)).toBe(3);
  });
});

describe('error codes and version', () => {
  it('publish codes, play codes (client-offer mapping of notes §13)', () => {
    expect(mediaError('publish', 'Dispatch')).toEqual({ code: 'ZegoPublish.Error.Dispatch', msg: 'dispatch signaling failed' });
    expect(mediaError('publish', 'TimeoutServerAnswer', 'x').code).toBe('ZegoPublish.Timeout.ServerAnswer');
    expect(mediaError('play', 'TimeoutServerAnswer').code).toBe('ZegoPlay.Timeout.RemoteOffer');
    expect(mediaError('play', 'ServerAnswer').code).toBe('ZegoPlay.Error.RemoteOffer');
    expect(mediaError('play', 'RemoteDesc').code).toBe('ZegoPlay.Error.RemoteOffer');
    expect(mediaError('play', 'CreateOffer').code).toBe('ZegoPlay.Error.CreateAnswer');
    expect(mediaError('play', 'SessionClosed', 'reason 1').msg).toBe('session closed: reason 1');
  });

  it('sdk_version squashes the version (minor on two digits)', () => {
    expect(sdkVersionNumber('1.12.2')).toBe(1122);
    expect(sdkVersionNumber('1.9.1')).toBe(1091);
  });
});
