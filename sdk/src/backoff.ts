/**
 * Retry waits with full jitter ("Exponential Backoff And Jitter", as LiveKit's client adds random jitter to its
 * reconnect delays): the n-th wait is uniform in [0, ceiling) with ceiling = min(cap, base·2^(n−1)). Clients that
 * lost their connection at the same moment (a server restart, a proxy dropping every socket) then come back
 * spread over the window instead of all in the same millisecond, and the window grows up to the cap.
 *
 * Where the number of retries is fixed by the protocol (media signalling, notes §7.5) the waits keep their mean
 * instead (centredJitter: uniform in [d/2, 3d/2)), so that jitter spreads the clients without shortening the time
 * before they give up.
 * The random source is injectable (tests give a seeded one).
 */
export type Random = () => number;

/** The n-th wait's ceiling (n ≥ 1): min(capMs, baseMs·2^(n−1)). */
export function backoffCeiling(n: number, baseMs: number, capMs: number): number {
  const exp = Math.min(Math.max(n, 1) - 1, 30); // 2^30 × base is past any cap
  return Math.min(capMs, baseMs * 2 ** exp);
}

/** A wait uniform in [0, ceilingMs): whole milliseconds; a random source out of [0, 1) is clamped. */
export function fullJitter(ceilingMs: number, random: Random): number {
  if (!(ceilingMs > 0)) return 0;
  const r = random();
  const x = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  return Math.min(Math.floor(x * ceilingMs), Math.ceil(ceilingMs) - 1);
}

/** The n-th wait (n ≥ 1) of an exponential backoff with full jitter. */
export function backoffDelay(n: number, baseMs: number, capMs: number, random: Random): number {
  return fullJitter(backoffCeiling(n, baseMs, capMs), random);
}

/** A wait uniform in [d/2, 3d/2): whole milliseconds, mean d. */
export function centredJitter(d: number, random: Random): number {
  if (!(d > 0)) return 0;
  return Math.floor(d / 2) + fullJitter(d, random);
}
