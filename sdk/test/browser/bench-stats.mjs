// Figures of the first-frame benchmarks (ours and Janus's), computed the same way for both.

/** The p-th percentile of an ascending array (nearest rank); null when it is empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** {runs, min, median, p95, mean, samples} of samples in ms. */
export function summarize(samples) {
  const sorted = samples.slice().sort((a, b) => a - b);
  return {
    runs: samples.length,
    min: sorted[0],
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10,
    samples,
  };
}
