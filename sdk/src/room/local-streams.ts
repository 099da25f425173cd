/**
 * Streams this client publishes, as the room sees them (notes §7.7): registration with `stream` 2001
 * (liveBegin), extra-info updates (2003) and removal (2002). The media module (a later issue) drives the states
 * — it adds a stream when publishing starts and calls register() once the stream is up; updateStreamExtraInfo
 * works through here too.
 */
import type { ZegoError } from '../errors';
import type { Logger } from '../logging/logger';
import { StreamSubCmd, type StreamMsg, type StreamReq } from '../wire/types';
import type { Request } from './requester';

export const PublishState = { waitingUrl: 1, tryPublish: 2, updateInfo: 3, publishing: 4, stop: 5 } as const;

export interface LocalStream {
  streamId: string;
  extraInfo: string;
  state: number;
}

export interface LocalStreamsDeps {
  request: Request;
  log: Logger;
  /** Server stream_seq from a `stream` response (keeps the room's stream list in step). */
  onStreamSeq(seq: number): void;
}

export type RegisterResult = (ok: boolean, err?: ZegoError) => void;

export class LocalStreams {
  private streams = new Map<string, LocalStream>();
  private waiters = new Map<string, RegisterResult>();

  constructor(private readonly deps: LocalStreamsDeps) {}

  get(streamId: string): LocalStream | undefined {
    return this.streams.get(streamId);
  }

  all(): LocalStream[] {
    return Array.from(this.streams.values());
  }

  /** A stream the media layer starts publishing (not yet announced in the room). */
  add(streamId: string, extraInfo: string): LocalStream {
    const s: LocalStream = { streamId, extraInfo, state: PublishState.waitingUrl };
    this.streams.set(streamId, s);
    return s;
  }

  setState(streamId: string, state: number): void {
    const s = this.streams.get(streamId);
    if (s !== undefined) s.state = state;
  }

  /**
   * Announces the stream in the room (liveBegin); `done` learns whether the server accepted it. With
   * `sendNow = false` (the room is re-logging in) the announcement waits for the next heartbeat answer.
   */
  register(streamId: string, done?: RegisterResult, sendNow = true): boolean {
    const s = this.streams.get(streamId);
    if (s === undefined) return false;
    s.state = PublishState.updateInfo;
    if (done) this.waiters.set(streamId, done);
    if (sendNow) this.sendBegin(s);
    return true;
  }

  /** Stores new extra info and, if the stream is announced, sends it (2003). Always true (notes §2). */
  updateExtraInfo(streamId: string, extraInfo: string): boolean {
    const s = this.streams.get(streamId);
    if (s === undefined) {
      this.deps.log.info(`zc.stream.extra stream ${streamId} is not published; nothing sent`);
      return true;
    }
    s.extraInfo = extraInfo;
    if (s.state >= PublishState.updateInfo && s.state !== PublishState.stop) {
      this.send(StreamSubCmd.updateInfo, s, 'updateInfo');
    }
    return true;
  }

  /** Ends the stream in the room (2002, only if it was announced) and forgets it. */
  remove(streamId: string): void {
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    this.streams.delete(streamId);
    this.waiters.delete(streamId);
    if (s.state >= PublishState.updateInfo && s.state !== PublishState.stop) this.send(StreamSubCmd.liveEnd, s, 'liveEnd');
  }

  /** Heartbeat duty: re-send liveBegin for streams whose registration was not acknowledged yet. */
  resendPending(): void {
    for (const s of this.streams.values()) if (s.state === PublishState.updateInfo) this.sendBegin(s);
  }

  /** After a reconnect: announce again our publishing streams that the server no longer lists. */
  reannounceMissing(serverHas: (streamId: string) => boolean): void {
    for (const s of this.streams.values()) {
      if (s.state === PublishState.publishing && !serverHas(s.streamId)) {
        this.deps.log.info(`zc.stream.reannounce ${s.streamId}`);
        this.sendBegin(s);
      }
    }
  }

  /** Sends liveEnd for a stale own stream found in the list at first login. */
  endStale(streamId: string, extraInfo: string): void {
    this.send(StreamSubCmd.liveEnd, { streamId, extraInfo, state: PublishState.stop }, 'liveEnd');
  }

  /** Logout: end announced streams in the room (if the socket is still open) and forget everything. */
  endAll(): void {
    for (const s of this.streams.values()) {
      if (s.state >= PublishState.updateInfo && s.state !== PublishState.stop) this.send(StreamSubCmd.liveEnd, s, 'liveEnd');
    }
    this.reset();
  }

  reset(): void {
    this.streams.clear();
    this.waiters.clear();
  }

  private sendBegin(s: LocalStream): void {
    this.send(StreamSubCmd.liveBegin, s, 'liveBegin', (ok, err) => {
      const cur = this.streams.get(s.streamId);
      if (cur !== s) return;
      if (ok) s.state = PublishState.publishing;
      const w = this.waiters.get(s.streamId);
      if (w !== undefined) {
        this.waiters.delete(s.streamId);
        w(ok, err);
      }
    });
  }

  private send(subCmd: number, s: LocalStream, what: string, done?: RegisterResult): void {
    const stream_msg = JSON.stringify({ stream_id: s.streamId, extra_info: s.extraInfo } satisfies StreamMsg);
    this.deps.request(
      'stream',
      { sub_cmd: subCmd, stream_msg } satisfies StreamReq,
      {
        ok: (body) => {
          if (typeof body.stream_seq === 'number') this.deps.onStreamSeq(body.stream_seq);
          if (done) done(true);
        },
        fail: (err) => {
          this.deps.log.warn(`zc.stream.${what} ${s.streamId} failed ${err.code} ${err.msg}`);
          if (done) done(false, err);
        },
      },
    );
  }
}
