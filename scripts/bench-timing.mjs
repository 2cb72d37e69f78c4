// Timing shared by the bench scripts (one definition of "median of N timed runs after a warm-up").
// A tiny helper rather than tinybench: these scripts time a fixed, small number of long synchronous
// kernel calls (tens of ms to seconds; some interleave variants round by round), where tinybench's
// time-budgeted async sampling adds nothing and would change how many runs each script does.

/** The median of a sample: the upper middle element for even sizes (what every script reported). */
export function median(xs) {
  if (xs.length === 0) throw new Error('median of an empty sample');
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/** Milliseconds of one call of `fn` (synchronous: it must read its results back, e.g. dataSync). */
export function timeOnce(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** `warmup` untimed calls of `fn`, then the milliseconds of each of `runs` timed calls. */
export function timeRuns(fn, runs, { warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  return Array.from({ length: runs }, () => timeOnce(fn));
}

/** median(timeRuns(fn, runs)): the number the scripts print. */
export function medianMs(fn, runs, opts) {
  return median(timeRuns(fn, runs, opts));
}
