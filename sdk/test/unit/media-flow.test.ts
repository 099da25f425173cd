import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ZegoClient } from '../../src/zego-client';
import { loginNow, newClient, setup } from './helpers/client';
import { FakeElement, FakeMediaServer, FakeMediaStream, FakePeerConnection, FakeTrack, installFakeRtc, MEDIA_URL } from './helpers/fake-media';
import type { FakeRoomServer } from './helpers/fake-server';

let server: FakeRoomServer;
let media: FakeMediaServer;
beforeEach(() => {
  server = setup();
  installFakeRtc();
  media = new FakeMediaServer(server);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** Lets timers and promise chains run for `ms` of fake time. */
async function run(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

async function previewOn(zg: ZegoClient): Promise<FakeElement> {
  const el = new FakeElement();
  const stream = new FakeMediaStream([new FakeTrack('audio'), new FakeTrack('video')]);
  const ok = vi.fn();
  expect(zg.startPreview(el as unknown as HTMLMediaElement, { externalMediaStream: stream as unknown as MediaStream }, ok, vi.fn())).toBe(true);
  await run(1);
  expect(ok).toHaveBeenCalled();
  return el;
}

function states(fn: ReturnType<typeof vi.fn>): unknown[][] {
  return fn.mock.calls.map((c) => c.slice(0, 2).concat(c[2] && typeof c[2] === 'object' ? [(c[2] as { code: string }).code] : c.slice(2)));
}

/** A client publishing `id` up to the start callback. */
async function publishing(id = 's1'): Promise<{ zg: ZegoClient; onState: ReturnType<typeof vi.fn>; pc: FakePeerConnection }> {
  const zg = newClient();
  loginNow(zg);
  const onState = vi.fn();
  zg.onPublishStateUpdate = onState;
  const el = await previewOn(zg);
  expect(zg.startPublishingStream(id, el as unknown as HTMLMediaElement, 'x')).toBe(true);
  await run(20);
  const pc = FakePeerConnection.last;
  pc.setState('connected');
  media.pushLatest('PublishEventPush', { event: 0, stream_id: id });
  await run(10);
  expect(states(onState)).toEqual([[0, id, 0]]);
  return { zg, onState, pc };
}

describe('publish', () => {
  it('dispatch → media login → session → offer → answer → connected + PublishEventPush → liveBegin → start', async () => {
    const { pc } = await publishing('s1');
    expect(server.sentOf('webrtc_url')[0].body).toEqual({ stream_id: 's1', ptype: 'push', signals: [], header_kvs: [{ key: 'grpc-metadata-push', value: '' }] });
    expect(media.sent('LoginReq')[0].body).toMatchObject({ token: 'token', roomid: 'r1' });
    expect(media.sent('CreateSessionReq')[0].body).toMatchObject({ type: 0, stream_id: 's1', strAuthParam: '' });
    const desc = media.sent('MediaDescReq')[0];
    expect(desc.body.sdp).toContain('a=sendonly');
    expect(desc.body.sdp).not.toContain('VP8');
    expect(pc.transceivers.map((t) => [t.direction, t.sender.track && t.sender.track.kind])).toEqual([
      ['sendonly', 'audio'],
      ['sendonly', 'video'],
    ]);
    expect(pc.remoteDescription).toEqual({ type: 'answer', sdp: 'v=0\r\nanswer' });
    expect(pc.remoteCandidates).toHaveLength(1);
    expect(media.sent('CandidateInfoReq')[0].body.infos).toHaveLength(1);
    expect(media.sent('MediaDescAck')).toHaveLength(1);
    expect(media.sent('StreamStatusNotify')[0].body).toEqual({ camera_status: 0, mic_status: 0 });
    const begin = server.sentOf('stream')[0];
    expect(begin.body.sub_cmd).toBe(2001);
  });

  it('start waits for PublishEventPush as well as the connected transport', async () => {
    const zg = newClient();
    loginNow(zg);
    const onState = vi.fn();
    zg.onPublishStateUpdate = onState;
    const el = await previewOn(zg);
    zg.startPublishingStream('s2', el as unknown as HTMLMediaElement);
    await run(20);
    FakePeerConnection.last.setState('connected');
    await run(100);
    expect(onState).not.toHaveBeenCalled();
    expect(server.sentOf('stream')).toHaveLength(0);
    media.pushLatest('PublishEventPush', { event: 0 });
    await run(10);
    expect(states(onState)).toEqual([[0, 's2', 0]]);
  });

  it('CloseSessionPush 26 while up: retry (2) at once, a new session after a jittered wait (0.25–0.75 s), then start (0) again', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999); // the longest wait: 749 ms
    const { onState } = await publishing('s3');
    media.pushLatest('CloseSessionPush', { reason: 26, err_info: { code: 9, message: 'media connection lost' } });
    await run(5);
    expect(states(onState)).toEqual([
      [0, 's3', 0],
      [2, 's3'],
    ]);
    expect(media.sent('CreateSessionReq')).toHaveLength(1);
    await run(743);
    expect(media.sent('CreateSessionReq')).toHaveLength(1);
    await run(1);
    expect(media.sent('CreateSessionReq')).toHaveLength(2);
    expect(media.sent('CloseSessionAck')).toHaveLength(1);
    expect(media.sent('CloseSessionReq')).toHaveLength(0); // the server dropped it already
    await run(20);
    FakePeerConnection.last.setState('connected');
    media.pushLatest('PublishEventPush', { event: 0 });
    await run(10);
    expect(states(onState)).toEqual([
      [0, 's3', 0],
      [2, 's3'],
      [0, 's3', 0],
    ]);
    expect(server.sentOf('stream')).toHaveLength(1); // announced once
  });

  it('CloseSessionPush with another reason while up: error SessionClosed, the SDK stops the stream', async () => {
    const { zg, onState } = await publishing('s4');
    media.pushLatest('CloseSessionPush', { reason: 1, err_info: { code: 9, message: 'bad' } });
    await run(5);
    expect(states(onState)).toEqual([
      [0, 's4', 0],
      [1, 's4', 'ZegoPublish.Error.SessionClosed'],
    ]);
    expect(onState.mock.calls[1][2].msg).toBe('session closed: reason 1 (bad)');
    expect(zg._media.publishers.size).toBe(0);
    expect(server.sentOf('stream').map((f) => f.body.sub_cmd)).toEqual([2001, 2002]);
  });

  it('the media socket stays down: 3 retries (waits ~1 s, 3 s, 5 s, jittered; 3 connection attempts each) then SocketError', async () => {
    const { onState } = await publishing('s5');
    server.down.add(MEDIA_URL);
    media.socket.drop();
    await run(1);
    expect(states(onState)).toEqual([
      [0, 's5', 0],
      [2, 's5'],
    ]);
    await run(60000);
    expect(states(onState)).toEqual([
      [0, 's5', 0],
      [2, 's5'],
      [2, 's5'],
      [2, 's5'],
      [1, 's5', 'ZegoPublish.Error.SocketError'],
    ]);
  });

  it('failures before the stream was up are errors at once (no retry)', async () => {
    const zg = newClient();
    loginNow(zg);
    const onState = vi.fn();
    zg.onPublishStateUpdate = onState;
    const el = await previewOn(zg);
    media.opts.answer = false;
    zg.startPublishingStream('t1', el as unknown as HTMLMediaElement);
    await run(5020);
    expect(states(onState)).toEqual([[1, 't1', 'ZegoPublish.Timeout.ServerAnswer']]);
    media.opts.createSession = false;
    zg.startPublishingStream('t2', el as unknown as HTMLMediaElement);
    await run(5020);
    expect(states(onState).slice(1)).toEqual([[1, 't2', 'ZegoPublish.Timeout.Session']]);
    media.opts.createSession = true;
    media.opts.sessionResult = 7;
    zg.startPublishingStream('t3', el as unknown as HTMLMediaElement);
    await run(50);
    expect(states(onState).slice(2)).toEqual([[1, 't3', 'ZegoPublish.Error.Session']]);
    server.handlers.webrtc_url = () => null;
    zg.startPublishingStream('t4', el as unknown as HTMLMediaElement);
    await run(8000);
    expect(states(onState).slice(3)).toEqual([[1, 't4', 'ZegoPublish.Timeout.Dispatch']]);
    expect(zg._media.publishers.size).toBe(0);
  });

  it('relay-only with TURN in CreateSessionRsp: ICE servers and policy; only relay candidates are sent', async () => {
    media.opts.sessionExtra = { turn_server: 'turn:127.0.0.1:3478?transport=udp', stun_server: 'stun:127.0.0.1:3478', turn_username: 'u', turn_auth_key: 'k' };
    const zg = newClient();
    loginNow(zg);
    const el = await previewOn(zg);
    zg.startPublishingStream('r1', el as unknown as HTMLMediaElement, '', { iceTransportPolicy: 'relay' });
    await run(20);
    const pc = FakePeerConnection.last;
    expect(pc.config.iceTransportPolicy).toBe('relay');
    expect(pc.config.iceServers).toEqual([{ urls: ['turn:127.0.0.1:3478?transport=udp', 'stun:127.0.0.1:3478'], username: 'u', credential: 'k' }]);
    expect(media.sent('CandidateInfoReq')).toHaveLength(0); // the fake's host candidate is not sent
    zg.startPublishingStream('r2', el as unknown as HTMLMediaElement);
    await run(20);
    expect(FakePeerConnection.last.config.iceTransportPolicy).toBe('all');
    expect(FakePeerConnection.last.config.iceServers).toHaveLength(1);
  });

  it('enableCamera sends the status on the session; logout stops the publisher', async () => {
    const { zg } = await publishing('c1');
    const el = zg._media.publishers.get('c1')!.preview.element;
    expect(zg.enableCamera(el, false)).toBe(true);
    expect(media.sent('StreamStatusNotify').map((f) => f.body)).toEqual([
      { camera_status: 0, mic_status: 0 },
      { camera_status: 2, mic_status: 0 },
    ]);
    expect(zg.logout()).toBe(true);
    expect(zg._media.publishers.size).toBe(0);
    expect(media.sent('CloseSessionReq')).toHaveLength(1);
  });
});

describe('play', () => {
  async function playing(option?: Record<string, unknown>) {
    const zg = newClient('bob');
    loginNow(zg);
    const onState = vi.fn();
    zg.onPlayStateUpdate = onState;
    const el = new FakeElement();
    expect(zg.startPlayingStream('p1', el as unknown as HTMLMediaElement, undefined, option)).toBe(true);
    await run(20);
    const pc = FakePeerConnection.last;
    return { zg, onState, el, pc };
  }

  it('recvonly offer; tracks on the element; start at connected; video size once', async () => {
    const { zg, onState, el, pc } = await playing();
    expect(media.sent('CreateSessionReq')[0].body).toMatchObject({ type: 1, stream_id: 'p1' });
    expect(pc.transceivers.map((t) => [t.direction, t.receiver.track.kind])).toEqual([
      ['recvonly', 'audio'],
      ['recvonly', 'video'],
    ]);
    expect(media.sent('MediaDescReq')[0].body.sdp).toContain('a=recvonly');
    expect(media.sent('MediaDescReq')[0].body.sdp).toContain('VP8'); // no codec filter unless asked
    pc.deliverTracks();
    expect((el.srcObject as FakeMediaStream).getTracks().map((t) => t.kind)).toEqual(['audio', 'video']);
    pc.setState('connected');
    expect(states(onState)).toEqual([[0, 'p1']]);
    const size = vi.fn();
    zg.onVideoSizeChanged = size;
    el.fire('canplay');
    el.videoWidth = 640;
    el.videoHeight = 480;
    el.fire('canplay');
    el.fire('resize');
    expect(size.mock.calls).toEqual([['p1', 640, 480]]);
    expect(zg.stopPlayingStream('p1')).toBe(true);
    expect(el.srcObject).toBeNull();
    expect(zg.stopPlayingStream('p1')).toBe(false);
  });

  it('playType audio: one audio transceiver; videoDecodeType filters the offer', async () => {
    const { pc } = await playing({ playType: 'audio', videoDecodeType: 'VP8' });
    expect(pc.transceivers.map((t) => t.receiver.track.kind)).toEqual(['audio']);
    expect(media.sent('MediaDescReq')[0].body.sdp).not.toContain('H264');
  });

  it('remote camera/mic status is reported on change only', async () => {
    const { zg, pc } = await playing();
    pc.setState('connected');
    const cam = vi.fn();
    const mic = vi.fn();
    zg.onRemoteCameraStatusUpdate = cam;
    zg.onRemoteMicStatusUpdate = mic;
    media.pushLatest('StreamStatusNotifyPush', { camera_status: 0, mic_status: 0, stream_id: 'p1' });
    media.pushLatest('StreamStatusNotifyPush', { camera_status: 2, mic_status: 0, stream_id: 'p1' });
    media.pushLatest('StreamStatusNotifyPush', { camera_status: 2, mic_status: 2, stream_id: 'p1' });
    media.pushLatest('StreamStatusNotifyPush', { camera_status: 0, mic_status: 2, stream_id: 'p1' });
    expect(cam.mock.calls).toEqual([
      ['p1', 2],
      ['p1', 0],
    ]);
    expect(mic.mock.calls).toEqual([['p1', 2]]);
  });

  it('a connected transport that stays disconnected 4 s: retry (2); reason 24 too; a new stream on the element', async () => {
    const { onState, el, pc } = await playing();
    pc.deliverTracks();
    pc.setState('connected');
    const first = el.srcObject;
    pc.setState('disconnected');
    await run(3900);
    pc.setState('connected'); // back in time: nothing happens
    pc.setState('disconnected');
    await run(3999);
    expect(states(onState)).toEqual([[0, 'p1']]);
    await run(2);
    expect(states(onState)).toEqual([
      [0, 'p1'],
      [2, 'p1'],
    ]);
    await run(770); // the retry's jittered wait is under 0.75 s
    const pc2 = FakePeerConnection.last;
    expect(pc2).not.toBe(pc);
    pc2.deliverTracks();
    expect(el.srcObject).not.toBe(first);
    pc2.setState('connected');
    expect(states(onState)).toEqual([
      [0, 'p1'],
      [2, 'p1'],
      [0, 'p1'],
    ]);
    media.pushLatest('CloseSessionPush', { reason: 24 });
    await run(1);
    expect(states(onState).slice(3)).toEqual([[2, 'p1']]);
  });

  it('answer errors map to the play codes of notes §13', async () => {
    media.opts.answer = false;
    const { onState } = await playing();
    await run(5000);
    expect(states(onState)).toEqual([[1, 'p1', 'ZegoPlay.Timeout.RemoteOffer']]);
  });
});

describe('media signalling lifecycle', () => {
  it('publisher and player of one client share the media socket; it closes with the last session', async () => {
    const { zg } = await publishing('m1');
    const el = new FakeElement();
    zg.startPlayingStream('m2', el as unknown as HTMLMediaElement);
    await run(20);
    expect(server.sockets.filter((s) => s.url === MEDIA_URL)).toHaveLength(1);
    expect(server.sentOf('webrtc_url')[1].body.signals).toEqual([MEDIA_URL]);
    const sock = media.socket;
    await run(10000);
    const hb = media.sent('ClientHBReq');
    expect(hb.length).toBeGreaterThanOrEqual(1);
    expect((hb[0].body.session_ids as number[]).length).toBe(2);
    zg.stopPublishingStream('m1');
    expect(sock.readyState).toBe(1);
    zg.stopPlayingStream('m2');
    expect(sock.readyState).toBe(3);
  });
});
