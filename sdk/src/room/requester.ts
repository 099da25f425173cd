/** What room modules use to talk to the server and to application callbacks, without knowing the Room. */
import type { ZegoError } from '../errors';

export interface RequestHandlers {
  /** Called with the response body when `err_code` is 0. */
  ok?(body: Record<string, unknown>, seq: number): void;
  /** Called with the mapped server error (and its raw err_code and the answer's body), a timeout, or a network error. */
  fail?(err: ZegoError, seq: number, errCode?: number, body?: Record<string, unknown>): void;
}

/** Sends a request; returns its header seq, or -1 when the socket is not open (then `fail` fires, async). */
export type Request = (cmd: string, body: object, handlers?: RequestHandlers) => number;

/** Invokes an application-supplied function (a method's success/error callback) safely. */
export type CallUser = (name: string, fn: unknown, ...args: unknown[]) => void;
