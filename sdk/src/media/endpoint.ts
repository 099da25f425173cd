/**
 * What publishers and players share (notes §7.1, §7.5): dispatch (`webrtc_url` on the room socket, or the custom
 * signal URL), the signalling connection, one Negotiation at a time, and the retry policy. A stream that was up
 * and loses its transport or its server session reports `2` (retry) and recreates the session, up to 3 times in
 * a row, after waits of 1 s / 3 s / 5 s on average when the signalling socket is down, 0.5 s / 1 s / 3 s otherwise,
 * each random in [d/2, 3d/2) (centredJitter, backoff.ts: a server that resets all its sessions, or goes away, does
 * not get every client back in the same millisecond, and the time before giving up stays); a successful
 * retry reports `0` again and resets the count. Failures before the stream was ever up, and a retry budget spent,
 * report `1` with the step's error, and the SDK stops the stream itself.
 */
import { centredJitter, type Random } from '../backoff';
import type { ZegoError } from '../errors';
import type { Logger } from '../logging/logger';
import { mediaError, type MediaErrorKey, type MediaFailure, type MediaKind } from './errors';
import { Negotiation, type NegotiationSpec, type SessionPush } from './negotiation';
import type { SignalConnection, SignalPool } from './signal';

export const MAX_RETRIES = 3;
/** Mean waits before retry 1, 2, 3 (each jittered ±50%). */
export const RETRY_DELAYS_SOCKET_DOWN = [1000, 3000, 5000];
export const RETRY_DELAYS_SOCKET_UP = [500, 1000, 3000];

export interface EndpointDeps {
  log: Logger;
  pool: SignalPool;
  /** Asks the room for signal URLs; `done(urls)` or `done(null, key, detail)`. */
  dispatch(streamId: string, ptype: 'push' | 'pull', cdnUrl: string, done: (urls: string[] | null, key?: MediaErrorKey, detail?: string) => void): void;
  /** setCustomSignalUrl's URL ('' = dispatch). */
  customSignalUrl(): string;
  appid(): number;
  sdkVersionNumber: number;
  /** on{Publish,Play}StateUpdate */
  emitState(type: 0 | 1 | 2, streamId: string, err?: ZegoError | number): void;
  /** The endpoint stopped itself after an error: forget it. */
  removed(ep: Endpoint): void;
  /** Jitter of the retry waits. */
  random: Random;
}

export interface EndpointOptions {
  streamParams: string;
  relayOnly: boolean;
}

export abstract class Endpoint {
  state: 'dispatching' | 'connecting' | 'negotiating' | 'up' | 'retrying' | 'stopped' = 'dispatching';
  neg: Negotiation | null = null;
  /** The stream was up at least once (retries apply from then on). */
  wasUp = false;
  retries = 0;
  protected conn: SignalConnection | null = null;
  private urls: string[] = [];
  private urlIndex = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFailure: MediaFailure | null = null;

  constructor(
    readonly kind: MediaKind,
    readonly streamId: string,
    protected readonly opts: EndpointOptions,
    protected readonly deps: EndpointDeps,
  ) {}

  protected get tag(): string {
    return `zm.${this.kind}.${this.streamId}`;
  }

  get pc(): RTCPeerConnection | null {
    return this.neg !== null ? this.neg.pc : null;
  }

  /** Dispatch (or the custom URL), then the first session. */
  start(cdnUrl = ''): void {
    const custom = this.deps.customSignalUrl();
    if (custom !== '') {
      this.urls = [custom];
      this.connect();
      return;
    }
    this.deps.dispatch(this.streamId, this.kind === 'publish' ? 'push' : 'pull', cdnUrl, (urls, key, detail) => {
      if (this.state === 'stopped') return;
      if (urls === null) return this.error({ key: key ?? 'Dispatch', detail: detail ?? '' });
      this.urls = urls;
      this.connect();
    });
  }

  /** Ends the stream (application call, logout or after an error): closes the session and releases the socket. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.neg !== null) this.neg.close(0);
    this.neg = null;
    this.releaseConn();
    this.onStopped();
  }

  // ------------------------------------------------------------------ subclass hooks

  protected abstract spec(): NegotiationSpec;
  /** The transport is connected (the player is up; the publisher waits for PublishEventPush too). */
  protected abstract onTransportUp(): void;
  /** The session's pushes other than the negotiation's own. */
  protected abstract onPush(push: SessionPush): void;
  protected onTrack(_ev: RTCTrackEvent): void {
    /* players */
  }
  protected abstract onStopped(): void;

  /** The stream is up (first time or after a retry). */
  protected up(): void {
    if (this.state === 'stopped') return;
    const again = this.wasUp;
    this.state = 'up';
    this.wasUp = true;
    this.retries = 0;
    this.lastFailure = null;
    this.onUp(again);
  }

  /** Reports `start` (0); subclasses may do more (the publisher registers the stream first). */
  protected onUp(_again: boolean): void {
    this.deps.emitState(0, this.streamId, this.kind === 'publish' ? 0 : undefined);
  }

  /** Reports the error (1) and stops. */
  protected error(f: MediaFailure | { err: ZegoError }): void {
    if (this.state === 'stopped') return;
    const err = 'err' in f ? f.err : mediaError(this.kind, f.key, f.detail);
    this.deps.log.error(`${this.tag} error ${err.code} ${err.msg}`);
    this.stop();
    this.deps.removed(this);
    this.deps.emitState(1, this.streamId, err);
  }

  // ------------------------------------------------------------------ connection and sessions

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = this.wasUp ? 'retrying' : 'connecting';
    this.releaseConn();
    const url = this.urls[this.urlIndex % this.urls.length];
    const conn = this.deps.pool.acquire(url);
    this.conn = conn;
    conn.whenReady((err) => {
      if (this.state === 'stopped' || this.conn !== conn) return;
      if (err === 'token') return this.failed({ key: 'Token', detail: 'media login refused' }, false, false);
      if (err === 'socket') {
        this.urlIndex++;
        return this.failed({ key: 'SocketError', detail: `cannot connect to ${url}` }, false, true);
      }
      this.negotiate(conn);
    });
  }

  private negotiate(conn: SignalConnection): void {
    if (this.state !== 'retrying') this.state = 'negotiating';
    const neg = new Negotiation(
      conn,
      this.spec(),
      {
        connected: () => {
          if (this.neg === neg) this.onTransportUp();
        },
        failed: (f, connected, retryable) => {
          if (this.neg !== neg) return;
          this.neg = null;
          this.failed(f, connected, retryable);
        },
        push: (push) => {
          if (this.neg === neg) this.onPush(push);
        },
        track: (ev) => {
          if (this.neg === neg) this.onTrack(ev);
        },
      },
      this.deps.log,
    );
    this.neg = neg;
    neg.start();
  }

  /** A session (or the connection for it) failed: retry or report. */
  private failed(f: MediaFailure, _connected: boolean, retryable: boolean): void {
    if (this.state === 'stopped') return;
    this.lastFailure = f;
    const inRetry = this.state === 'retrying';
    const canRetry = this.wasUp && (inRetry || retryable);
    if (!canRetry) return this.error(f);
    if (this.retries >= MAX_RETRIES) {
      this.deps.log.error(`${this.tag} ${MAX_RETRIES} retries failed`);
      return this.error(this.lastFailure ?? f);
    }
    this.scheduleRetry();
  }

  /** Called by subclasses when the stream must be restarted (e.g. a lost transport they noticed). */
  protected scheduleRetry(): void {
    if (this.state === 'stopped') return;
    if (this.neg !== null) {
      this.neg.close(1);
      this.neg = null;
    }
    this.retries++;
    const socketUp = this.conn !== null && this.conn.isReady;
    const delays = socketUp ? RETRY_DELAYS_SOCKET_UP : RETRY_DELAYS_SOCKET_DOWN;
    const delay = centredJitter(delays[Math.min(this.retries, delays.length) - 1], this.deps.random);
    this.state = 'retrying';
    this.deps.log.warn(`${this.tag} retry ${this.retries}/${MAX_RETRIES} in ${delay} ms`);
    this.onRetry();
    this.deps.emitState(2, this.streamId);
    if (this.state !== 'retrying') return; // stopped from the callback
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state !== 'retrying') return;
      const conn = this.conn;
      if (conn !== null && conn.isReady) this.negotiate(conn);
      else this.connect();
    }, delay);
  }

  /** A retry begins (the publisher stops its quality monitor baseline, the player keeps its element). */
  protected onRetry(): void {
    /* subclasses */
  }

  private releaseConn(): void {
    const c = this.conn;
    this.conn = null;
    if (c !== null) c.release();
  }
}
