import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, centredJitter, fullJitter } from '../../src/backoff';
import { seededRandom } from './helpers/client';

describe('backoff with jitter', () => {
  it('ceilings double from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 40, 1e9].map((n) => backoffCeiling(n, 1000, 10000))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000]);
    expect(backoffCeiling(0, 1000, 10000)).toBe(1000);
    expect(backoffCeiling(3, 1000, 300)).toBe(300);
  });

  it('full jitter stays in [0, ceiling) and covers it; a broken random source is clamped', () => {
    const r = seededRandom(1);
    const xs = Array.from({ length: 10000 }, () => backoffDelay(4, 1000, 10000, r));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(8000);
    expect(Math.min(...xs)).toBeLessThan(100);
    expect(Math.max(...xs)).toBeGreaterThan(7900);
    expect(fullJitter(1000, () => 1)).toBe(999);
    expect(fullJitter(1000, () => 7)).toBe(999);
    expect(fullJitter(1000, () => -1)).toBe(0);
    expect(fullJitter(1000, () => NaN)).toBe(500);
    expect(fullJitter(0, () => 0.5)).toBe(0);
  });

  it('centred jitter stays in [d/2, 3d/2) with mean d', () => {
    const r = seededRandom(2);
    const xs = Array.from({ length: 10000 }, () => centredJitter(3000, r));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1500);
    expect(Math.max(...xs)).toBeLessThan(4500);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 3000)).toBeLessThan(50);
    expect(centredJitter(0, r)).toBe(0);
  });
});
