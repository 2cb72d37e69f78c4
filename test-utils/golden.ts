// Loads the reference vectors in <repo>/test-fixtures (copied from the project's shared reference
// folder, see test-fixtures/README.md) and rebuilds their inputs with the xorshift32 generator the
// golden README specifies. Test-only; never shipped in a package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The repository's own copy of the golden values and reference numbers (always present). */
export const fixturesDir = join(repoRoot, 'test-fixtures');

/**
 * Optional extra reference material (`EVDM_SHARED_DIR`, else `<repo>/../shared`), or null when there
 * is none. No test needs it: everything the tests read lives in test-fixtures/.
 */
export function sharedDir(): string | null {
  const dir = process.env.EVDM_SHARED_DIR ?? join(repoRoot, '..', 'shared');
  return existsSync(dir) ? dir : null;
}

function readFixture(sub: string, name: string): string {
  const file = join(fixturesDir, sub, name);
  if (!existsSync(file)) {
    throw new Error(`test fixture ${sub}/${name} not found in ${fixturesDir} (see test-fixtures/README.md)`);
  }
  return readFileSync(file, 'utf8');
}

/**
 * A value read from a golden / reference JSON fixture: untyped data that tests index into freely
 * (the fixtures' layout is documented in test-fixtures/README.md, not in TypeScript types).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture JSON is untyped by design
export type FixtureJson = any;

/** Parses a golden JSON file; the strings "Infinity"/"NaN" stay strings (use `num()`). */
export function loadGolden<T = FixtureJson>(name: string): T {
  return JSON.parse(readFixture('golden', name)) as T;
}

/** Parses a reference JSON file (e.g. `mcvd-numbers.json`, measured by running the MCVD PyTorch code). */
export function loadReference<T = FixtureJson>(name: string): T {
  return JSON.parse(readFixture('reference', name)) as T;
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
