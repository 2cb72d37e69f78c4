// Loads the reference vectors in ../shared/golden and rebuilds their inputs with the xorshift32
// generator the golden README specifies. Test-only; never shipped in a package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Directory of the shared reference material (`EVDM_SHARED_DIR` overrides `<repo>/../shared`). */
export function sharedDir(): string {
  const dir = process.env.EVDM_SHARED_DIR ?? join(repoRoot, '..', 'shared');
  if (!existsSync(dir)) {
    throw new Error(
      `shared reference folder not found at ${dir}: clone the repo next to shared/ or set EVDM_SHARED_DIR`,
    );
  }
  return dir;
}

/** Parses a golden JSON file; the strings "Infinity"/"NaN" stay strings (use `num()`). */
export function loadGolden<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(sharedDir(), 'golden', name), 'utf8')) as T;
}

/** Converts golden numbers, including the "Infinity"/"NaN" strings, to JS numbers. */
export function num(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export function* xorshift32(seed: number): Generator<number, never> {
  let x = seed >>> 0;
  for (;;) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x;
  }
}

/** `n` values of the top byte of a fresh xorshift32 stream. */
export function u8Stream(seed: number, n: number): number[] {
  const g = xorshift32(seed);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = g.next().value >>> 24;
  return out;
}

export interface Generation {
  seed: number;
  shape: number[];
  formula: string;
}

/** Rebuilds a golden input array (row-major, flat) from its stored generation recipe. */
export function regenerate(g: Generation): number[] {
  const n = g.shape.reduce((a, b) => a * b, 1);
  const v = u8Stream(g.seed, n);
  if (g.formula === 'u8') return v;
  let m = g.formula.match(/^\(u8 - (\d+)\) \/ (\d+)$/);
  if (m) return v.map((x) => (x - Number(m![1])) / Number(m![2]));
  m = g.formula.match(/^u8 \/ (\d+)$/);
  if (m) return v.map((x) => x / Number(m![1]));
  throw new Error(`unknown golden formula: ${g.formula}`);
}

/** Flattens nested arrays of numbers (golden arrays are stored nested). */
export function flat(a: unknown): number[] {
  return (a as unknown[]).flat(Infinity as 1) as number[];
}
