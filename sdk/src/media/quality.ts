/**
 * Publish and play quality (reference §2.10 and §2.12, notes §7.6). Each publisher and player samples its peer
 * connection's getStats() every cycle (setQualityMonitorCycle, default 3000 ms, at least 1000); the first sample
 * is a baseline, so the first callback comes after two cycles. Rates are per second over the last cycle:
 * bitrates in kbps (8·Δbytes/Δms), frame rates in frames/s.
 */

export const DEFAULT_QUALITY_CYCLE_MS = 3000;
export const MIN_QUALITY_CYCLE_MS = 1000;

/** The numbers a quality report is computed from, taken out of one RTCStatsReport. */
export interface StatsSnapshot {
  at: number;
  audioBytes: number;
  videoBytes: number;
  /** framesEncoded (publish) / framesDecoded (play) */
  framesCoded: number;
  /** framesSent (publish) / framesReceived (play) */
  framesTransferred: number;
  framesDropped: number;
  frameWidth: number;
  frameHeight: number;
  nackCount: number;
  pliCount: number;
  audioPacketsLost: number;
  audioPacketsReceived: number;
  videoPacketsLost: number;
  videoPacketsReceived: number;
  audioJitter: number;
  audioLevel: number;
  audioSamplingRate: number;
  /** seconds */
  totalRoundTripTime: number;
  currentRoundTripTime: number;
  responsesReceived: number;
}

interface StatLike {
  type?: string;
  kind?: string;
  mediaType?: string;
  [k: string]: unknown;
}

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Extracts a snapshot from a getStats() report (any map-like of stat objects). */
export function snapshot(kind: 'publish' | 'play', report: Iterable<StatLike> | { forEach(cb: (s: StatLike) => void): void }, at: number): StatsSnapshot {
  const s: StatsSnapshot = {
    at,
    audioBytes: 0,
    videoBytes: 0,
    framesCoded: 0,
    framesTransferred: 0,
    framesDropped: 0,
    frameWidth: 0,
    frameHeight: 0,
    nackCount: 0,
    pliCount: 0,
    audioPacketsLost: 0,
    audioPacketsReceived: 0,
    videoPacketsLost: 0,
    videoPacketsReceived: 0,
    audioJitter: 0,
    audioLevel: 0,
    audioSamplingRate: 0,
    totalRoundTripTime: 0,
    currentRoundTripTime: 0,
    responsesReceived: 0,
  };
  const all: StatLike[] = [];
  const each = (x: StatLike): void => {
    all.push(x);
  };
  if (typeof (report as { forEach?: unknown }).forEach === 'function') (report as { forEach(cb: (x: StatLike) => void): void }).forEach(each);
  else for (const x of report as Iterable<StatLike>) each(x);
  const byId = new Map<string, StatLike>();
  for (const x of all) if (typeof x.id === 'string') byId.set(x.id, x);
  const rtpType = kind === 'publish' ? 'outbound-rtp' : 'inbound-rtp';
  let selectedPair: StatLike | null = null;
  for (const x of all) {
    if (x.type === 'transport' && typeof x.selectedCandidatePairId === 'string') {
      selectedPair = byId.get(x.selectedCandidatePairId) ?? selectedPair;
    }
  }
  for (const x of all) {
    if (x.type === 'candidate-pair' && selectedPair === null && (x.selected === true || (x.nominated === true && x.state === 'succeeded'))) {
      selectedPair = x;
    }
    if (x.type !== rtpType) continue;
    const k = x.kind ?? x.mediaType;
    if (k === 'audio') {
      s.audioBytes += n(kind === 'publish' ? x.bytesSent : x.bytesReceived);
      s.audioPacketsLost += n(x.packetsLost);
      s.audioPacketsReceived += n(x.packetsReceived);
      s.audioJitter = n(x.jitter);
      s.audioLevel = n(x.audioLevel);
      const codec = typeof x.codecId === 'string' ? byId.get(x.codecId) : undefined;
      if (codec) s.audioSamplingRate = n(codec.clockRate);
    } else if (k === 'video') {
      s.videoBytes += n(kind === 'publish' ? x.bytesSent : x.bytesReceived);
      s.framesCoded += n(kind === 'publish' ? x.framesEncoded : x.framesDecoded);
      s.framesTransferred += n(kind === 'publish' ? x.framesSent : x.framesReceived);
      s.framesDropped += n(x.framesDropped);
      s.frameWidth = Math.max(s.frameWidth, n(x.frameWidth));
      s.frameHeight = Math.max(s.frameHeight, n(x.frameHeight));
      s.nackCount += n(x.nackCount);
      s.pliCount += n(x.pliCount);
      s.videoPacketsLost += n(x.packetsLost);
      s.videoPacketsReceived += n(x.packetsReceived);
    }
  }
  if (selectedPair !== null) {
    s.totalRoundTripTime = n(selectedPair.totalRoundTripTime);
    s.currentRoundTripTime = n(selectedPair.currentRoundTripTime);
    s.responsesReceived = n(selectedPair.responsesReceived);
  }
  return s;
}

const round = (v: number, digits = 2): number => {
  const f = Math.pow(10, digits);
  return Math.round(v * f) / f;
};

/** Notes §7.6 score from the round-trip time (ms) and the loss fraction (0..1). */
export function qualityScore(rttMs: number, lost: number): number {
  if (rttMs < 600) return lost > 0.4 ? 2 : lost > 0.3 ? 4 : 5;
  if (rttMs < 900) return lost > 0.4 ? 2 : lost > 0.2 ? 3 : 4;
  return lost > 0.2 ? 2 : 3;
}

function rates(a: StatsSnapshot, b: StatsSnapshot) {
  const ms = Math.max(1, b.at - a.at);
  const d = (f: keyof StatsSnapshot): number => Math.max(0, (b[f] as number) - (a[f] as number));
  return {
    kbps: (f: 'audioBytes' | 'videoBytes') => round((8 * d(f)) / ms),
    fps: (f: 'framesCoded' | 'framesTransferred') => round((d(f) * 1000) / ms),
    d,
  };
}

/** onPublishQualityUpdate's object (reference §2.12 plus notes §7.6). */
export function publishQuality(a: StatsSnapshot, b: StatsSnapshot): Record<string, unknown> {
  const r = rates(a, b);
  return {
    videoBitrate: r.kbps('videoBytes'),
    audioBitrate: r.kbps('audioBytes'),
    videoFPS: r.fps('framesCoded'),
    videoTransferFPS: r.fps('framesTransferred'),
    frameWidth: b.frameWidth,
    frameHeight: b.frameHeight,
    nackCount: b.nackCount,
    pliCount: b.pliCount,
    totalRoundTripTime: round(b.totalRoundTripTime * 1000),
    currentRoundTripTime: round(b.currentRoundTripTime * 1000),
    audioCodeType: 'opus',
  };
}

/** onPlayQualityUpdate's object (reference §2.10 plus notes §7.6). */
export function playQuality(a: StatsSnapshot, b: StatsSnapshot): Record<string, unknown> {
  const r = rates(a, b);
  const aLost = r.d('audioPacketsLost');
  const aRecv = r.d('audioPacketsReceived');
  const vLost = r.d('videoPacketsLost');
  const vRecv = r.d('videoPacketsReceived');
  const audioFraction = aLost + aRecv > 0 ? aLost / (aLost + aRecv) : 0;
  const videoFraction = vLost + vRecv > 0 ? vLost / (vLost + vRecv) : 0;
  const rttMs = b.currentRoundTripTime * 1000;
  return {
    videoBitrate: r.kbps('videoBytes'),
    audioBitrate: r.kbps('audioBytes'),
    videoFPS: r.fps('framesCoded'),
    videoTransferFPS: r.fps('framesTransferred'),
    frameWidth: b.frameWidth,
    frameHeight: b.frameHeight,
    audioJitter: b.audioJitter,
    audioPacketsLost: b.audioPacketsLost,
    audioFractionLost: round(audioFraction, 4),
    audioPacketsLostRate: round(audioFraction * 100),
    nackCount: b.nackCount,
    pliCount: b.pliCount,
    videoFractionLost: round(videoFraction, 4),
    videoFramesDecoded: b.framesCoded,
    videoFramesDropped: b.framesDropped,
    videoPacketsLostRate: round(videoFraction * 100),
    audioLevel: b.audioLevel,
    audioSendLevel: 0,
    audioSamplingRate: b.audioSamplingRate,
    totalRoundTripTime: round(b.totalRoundTripTime * 1000),
    currentRoundTripTime: round(rttMs),
    audioQuality: qualityScore(rttMs, audioFraction),
    videoQuality: qualityScore(rttMs, videoFraction),
  };
}

/**
 * Samples a peer connection every `cycleMs` and reports from the second sample on. The connection may change
 * (a retry recreates it): the sample after a change is a new baseline.
 */
export class QualityMonitor {
  private timer: ReturnType<typeof setInterval> | null = null;
  private last: StatsSnapshot | null = null;
  private lastPc: RTCPeerConnection | null = null;

  constructor(
    private readonly kind: 'publish' | 'play',
    private readonly pc: () => RTCPeerConnection | null,
    private readonly report: (q: Record<string, unknown>) => void,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  start(cycleMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.sample(), cycleMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
    this.lastPc = null;
  }

  private sample(): void {
    const pc = this.pc();
    if (pc === null) {
      this.last = null;
      return;
    }
    pc.getStats().then(
      (report) => {
        if (this.timer === null) return;
        const cur = snapshot(this.kind, report as unknown as Iterable<StatLike>, Date.now());
        const prev = this.lastPc === pc ? this.last : null;
        this.last = cur;
        this.lastPc = pc;
        if (prev !== null) this.report(this.kind === 'publish' ? publishQuality(prev, cur) : playQuality(prev, cur));
      },
      () => undefined,
    );
  }
}
