/**
 * Login attempts (notes §1.4, 1.9.x behaviour): up to 5 attempts; the delay after attempt n is
 * LOGIN_RETRY_DELAYS_MS[n-1]; odd attempts go to server[0], even ones to server[1] (a single server serves both).
 * Attempt 1 starts at once. When the delay after the 5th attempt runs out, `onExhausted` fires.
 * A success or fatal answer stops the schedule from outside (stop()).
 */
export const LOGIN_RETRY_DELAYS_MS = [2000, 4000, 6000, 8000, 10000] as const;
export const LOGIN_MAX_ATTEMPTS = 5;

export function serverForAttempt(servers: readonly string[], attempt: number): string {
  if (servers.length > 1 && attempt % 2 === 0) return servers[1];
  return servers[0];
}

export class LoginRetry {
  private attemptNo = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private servers: readonly string[] = [];

  constructor(
    private readonly attempt: (attemptNo: number, server: string) => void,
    private readonly onExhausted: () => void,
  ) {}

  get attempts(): number {
    return this.attemptNo;
  }

  get active(): boolean {
    return this.timer !== null;
  }

  start(servers: readonly string[]): void {
    this.stop();
    this.servers = servers;
    this.attemptNo = 0;
    this.next();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private next(): void {
    this.timer = null;
    if (this.attemptNo >= LOGIN_MAX_ATTEMPTS) {
      this.onExhausted();
      return;
    }
    this.attemptNo++;
    const n = this.attemptNo;
    // Arm before attempting, so that an attempt that stops the schedule synchronously wins.
    this.timer = setTimeout(() => this.next(), LOGIN_RETRY_DELAYS_MS[n - 1]);
    this.attempt(n, serverForAttempt(this.servers, n));
  }
}
