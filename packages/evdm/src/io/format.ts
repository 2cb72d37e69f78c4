/** Human-readable durations and mean ± interval cells for the CLI (progress, ETAs, score tables). */

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
const YEAR = 365 * DAY;

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * A duration as a person writes it, at the precision that matters: `42s`, `28m00s`, `3h01m`, `4d07h`;
 * anything over a year is `> 1 year` and a non-finite or negative value is `?`. Rounding happens once,
 * at the shown unit, so a field never reaches 60 (no `27m60s`) and no exponent appears.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds >= YEAR) return '> 1 year';
  const s = Math.round(seconds);
  if (s < MIN) return `${s}s`;
  if (s < HOUR) return `${Math.floor(s / MIN)}m${pad2(s % MIN)}s`;
  const minutes = Math.round(seconds / MIN);
  if (minutes < 24 * 60 * 4) return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
  const hours = Math.round(seconds / HOUR);
  return hours >= 365 * 24 ? '> 1 year' : `${Math.floor(hours / 24)}d${pad2(hours % 24)}h`;
}

/** A time budget in minutes as said in a sentence: `30 min`, `1.5 min`, `2 h`. */
export function formatMinutes(minutes: number): string {
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} h`;
  return `${Number(minutes.toPrecision(3))} min`;
}

/**
 * `mean ± half-width` with `digits` decimals. A single clip has no spread: its interval prints as
 * `± 0` (the summary's half-width is undefined there, NaN), never `± NaN`; a missing mean is `-`.
 */
export function meanPlusMinus(
  s: { mean: number; ci95: number; n?: number } | null | undefined,
  digits: number,
  width = 0,
): string {
  if (!s || !Number.isFinite(s.mean)) return '-'.padStart(width);
  const half = Number.isFinite(s.ci95) ? s.ci95.toFixed(digits) : '0';
  return `${s.mean.toFixed(digits).padStart(width)} ± ${half}`;
}
