/**
 * Login attempts, for a login() and for the re-login after a dropped connection (notes §1.4, with jitter).
 *
 * An attempt fails when its socket cannot open or closes before the reply, when the reply is a "keep trying"
 * error, or when no reply came within LOGIN_ATTEMPT_TIMEOUT_MS. After a failed attempt the next one follows a
 * wait of exponential backoff with full jitter (backoff.ts): the n-th wait is uniform in
 * [0, min(maxDelayMs, RECONNECT_BASE_DELAY_MS·2^(n−1))). A login() makes its first attempt at once; a re-login
 * waits once before its first attempt too, so that clients dropped together do not all come back together.
 * When attempt `maxAttempts` fails, `onExhausted` fires. Odd attempts go to server[0], even ones to server[1]
 * (a single server serves both). A success or fatal answer stops the schedule from outside (stop()).
 *
 * With the defaults (12 attempts, waits capped at 10 s) a re-login gives up on average ~48 s after the drop when
 * the server refuses connections (at most 95 s; 5 s more per attempt that gets no answer at all); the original
 * 1.x schedule (5 attempts, 2/4/6/8/10 s) gave up after exactly 30 s, every client in the same millisecond.
 */
import { backoffDelay, type Random } from '../backoff';

/** Base of the backoff: the first wait is in [0, 1 s), the second in [0, 2 s), … up to the cap. */
export const RECONNECT_BASE_DELAY_MS = 1000;
/** config() `reconnectMaxAttempts` default: attempts of a login or re-login before giving up. */
export const DEFAULT_RECONNECT_MAX_ATTEMPTS = 12;
/** config() `reconnectMaxDelayMs` default: cap of one wait between attempts. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 10000;
/** Accepted range of `reconnectMaxAttempts`. */
export const RECONNECT_MAX_ATTEMPTS_LIMIT = 1000;
/** Accepted range of `reconnectMaxDelayMs`. */
export const RECONNECT_MIN_DELAY_CAP_MS = 100;
export const RECONNECT_MAX_DELAY_CAP_MS = 300000;
/** An attempt without a login reply (or an open socket) after this long has failed. */
export const LOGIN_ATTEMPT_TIMEOUT_MS = 5000;

export interface ReconnectPolicy {
  maxAttempts: number;
  maxDelayMs: number;
}

export const DEFAULT_RECONNECT_POLICY: Readonly<ReconnectPolicy> = {
  maxAttempts: DEFAULT_RECONNECT_MAX_ATTEMPTS,
  maxDelayMs: DEFAULT_RECONNECT_MAX_DELAY_MS,
};

export function serverForAttempt(servers: readonly string[], attempt: number): string {
  if (servers.length > 1 && attempt % 2 === 0) return servers[1];
  return servers[0];
}

export class LoginRetry {
  private attemptNo = 0;
  private waitNo = 0;
  /** Runs while an attempt waits for its outcome. */
  private attemptTimer: ReturnType<typeof setTimeout> | null = null;
  /** Runs during the wait before the next attempt. */
  private waitTimer: ReturnType<typeof setTimeout> | null = null;
  private servers: readonly string[] = [];
  private policy: ReconnectPolicy = { ...DEFAULT_RECONNECT_POLICY };

  constructor(
    private readonly attempt: (attemptNo: number, server: string) => void,
    private readonly onExhausted: () => void,
    private readonly random: Random = Math.random,
    /** Each wait as it is scheduled (logging). */
    private readonly onWait: (attemptNo: number, delayMs: number, why: string) => void = () => undefined,
  ) {}

  get attempts(): number {
    return this.attemptNo;
  }

  get active(): boolean {
    return this.attemptTimer !== null || this.waitTimer !== null;
  }

  /** Starts over: attempt 1 at once (`immediate`, a login()) or after a first jittered wait (a re-login). */
  start(servers: readonly string[], policy: ReconnectPolicy, immediate: boolean): void {
    this.stop();
    this.servers = servers;
    this.policy = { ...policy };
    this.attemptNo = 0;
    this.waitNo = 0;
    if (immediate) this.next();
    else this.wait('reconnect');
  }

  /** The current attempt failed (socket closed or refused, "keep trying" answer): wait, then the next one. */
  failed(why: string): void {
    if (this.attemptTimer === null) return; // no attempt in progress (already counted, or stopped)
    clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
    if (this.attemptNo >= this.policy.maxAttempts) {
      this.onExhausted();
      return;
    }
    this.wait(why);
  }

  stop(): void {
    if (this.attemptTimer !== null) clearTimeout(this.attemptTimer);
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.attemptTimer = null;
    this.waitTimer = null;
  }

  private wait(why: string): void {
    this.waitNo++;
    const delay = backoffDelay(this.waitNo, RECONNECT_BASE_DELAY_MS, this.policy.maxDelayMs, this.random);
    this.onWait(this.attemptNo + 1, delay, why);
    this.waitTimer = setTimeout(() => this.next(), delay);
  }

  private next(): void {
    this.waitTimer = null;
    this.attemptNo++;
    const n = this.attemptNo;
    // Arm before attempting, so that an attempt that fails or stops the schedule synchronously wins.
    this.attemptTimer = setTimeout(() => this.failed('no answer'), LOGIN_ATTEMPT_TIMEOUT_MS);
    this.attempt(n, serverForAttempt(this.servers, n));
  }
}
