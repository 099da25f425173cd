/** Server time estimate: `ret_timestamp` (ms, a string) from the login reply minus the local clock then. */
export class ServerClock {
  private offsetMs = 0;

  setFromLogin(retTimestamp: unknown): void {
    const t = typeof retTimestamp === 'string' ? Number(retTimestamp) : typeof retTimestamp === 'number' ? retTimestamp : 0;
    this.offsetMs = Number.isFinite(t) && t > 0 ? t - Date.now() : 0;
  }

  get offset(): number {
    return this.offsetMs;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
