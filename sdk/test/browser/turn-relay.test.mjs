// Chromium's own TURN client against the server's embedded relay: two RTCPeerConnections with
// relay-only ICE (as the ZegoClient media path uses) connect through it and exchange data-channel
// messages, over UDP and over TCP to the relay, with the coturn-style REST credentials of dev mode.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, startServer } from './harness.mjs';

// The fixed TURN secret of dev mode (crates/server/src/config.rs DEV_TURN_SECRET).
const DEV_TURN_SECRET = 'liveroom-dev-turn-secret-not-for-production';

function restCredentials(user, ttlSecs = 600) {
  const username = `${Math.floor(Date.now() / 1000) + ttlSecs}:${user}`;
  const credential = createHmac('sha1', DEV_TURN_SECRET).update(username).digest('base64');
  return { username, credential };
}

/** In the page: two relay-only peers, a data channel, one message each way; the selected pair. */
async function relayedPair(page, iceServer) {
  return page.evaluate(async (iceServer) => {
    const cfg = { iceServers: [iceServer], iceTransportPolicy: 'relay' };
    const a = new RTCPeerConnection(cfg);
    const b = new RTCPeerConnection(cfg);
    const types = [];
    a.onicecandidate = (e) => {
      if (e.candidate) {
        types.push(e.candidate.type);
        b.addIceCandidate(e.candidate);
      }
    };
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const got = { a: null, b: null };
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no data through the relay; a: ${a.iceConnectionState}, candidates ${types}`)), 15000);
      const done = () => got.a && got.b && (clearTimeout(timer), resolve());
      b.ondatachannel = (e) => {
        e.channel.onmessage = (m) => {
          got.b = m.data;
          e.channel.send('pong');
          done();
        };
      };
      const ch = a.createDataChannel('t');
      ch.onopen = () => ch.send('ping');
      ch.onmessage = (m) => {
        got.a = m.data;
        done();
      };
    });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    await ready;
    const stats = await a.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    const local = pair && stats.get(pair.localCandidateId);
    a.close();
    b.close();
    return { got, candidateTypes: [...new Set(types)], local: local && { type: local.candidateType, relayProtocol: local.relayProtocol } };
  }, iceServer);
}

describe('embedded TURN relay with Chromium', () => {
  let server;
  let browser;
  let page;

  before(async () => {
    server = await startServer();
    assert.ok(server.turn, 'the ready line names the TURN relay');
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`http://${server.http}/livez`);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const transport of ['udp', 'tcp']) {
    it(`relays a data channel with turn:…?transport=${transport}`, async () => {
      const { username, credential } = restCredentials(`chromium-${transport}`);
      const r = await relayedPair(page, { urls: [`turn:${server.turn}?transport=${transport}`, `stun:${server.turn}`], username, credential });
      assert.deepEqual(r.got, { a: 'pong', b: 'ping' });
      assert.deepEqual(r.candidateTypes, ['relay']);
      assert.deepEqual(r.local, { type: 'relay', relayProtocol: transport });
    });
  }

  it('gathers no relay candidate with a wrong credential', async () => {
    const r = await page.evaluate(async (url) => {
      const pc = new RTCPeerConnection({ iceServers: [{ urls: [url], username: `${Math.floor(Date.now() / 1000) + 600}:x`, credential: 'wrong' }], iceTransportPolicy: 'relay' });
      const types = [];
      pc.onicecandidate = (e) => e.candidate && types.push(e.candidate.type);
      pc.createDataChannel('t');
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, 8000);
      });
      pc.close();
      return types;
    }, `turn:${server.turn}?transport=udp`);
    assert.deepEqual(r, []);
  });
});
