/**
 * Room heartbeat (notes §1.5): the first `hb` goes out at once, then one per interval (server
 * `hearbeat_interval`, at least 3 s). Every send counts a miss, every answer clears the count; with 3 misses
 * outstanding the next tick reports a timeout instead of sending.
 */
export const HEARTBEAT_MIN_INTERVAL_MS = 3000;
export const HEARTBEAT_DEFAULT_INTERVAL_MS = 30000;
export const HEARTBEAT_MAX_MISSES = 3;

export function clampHeartbeatInterval(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return HEARTBEAT_DEFAULT_INTERVAL_MS;
  return Math.max(HEARTBEAT_MIN_INTERVAL_MS, ms);
}

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;
  private misses = 0;
  private intervalMs = HEARTBEAT_DEFAULT_INTERVAL_MS;

  constructor(
    private readonly send: () => void,
    private readonly onTimeout: () => void,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  get interval(): number {
    return this.intervalMs;
  }

  get missed(): number {
    return this.misses;
  }

  start(intervalMs: unknown): void {
    this.stop();
    this.misses = 0;
    this.intervalMs = clampHeartbeatInterval(intervalMs);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.tick();
  }

  /** Applies a new server interval without sending an extra heartbeat. */
  updateInterval(intervalMs: unknown): void {
    const ms = clampHeartbeatInterval(intervalMs);
    if (ms === this.intervalMs || this.timer === null) {
      this.intervalMs = ms;
      return;
    }
    this.intervalMs = ms;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  answered(): void {
    this.misses = 0;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (this.timer === null) return;
    if (this.misses >= HEARTBEAT_MAX_MISSES) {
      this.stop();
      this.onTimeout();
      return;
    }
    this.misses++;
    this.send();
  }
}
