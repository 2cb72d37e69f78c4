import { describe, expect, it } from 'vitest';
import { flat, loadGolden, regenerate, type FixtureJson } from '../../../test-utils/golden';
import { FeatureStats } from '../src/feature-stats';
import { frechetDistance, frechetDistanceFromFeatures } from '../src/frechet';
import { singularValues } from '../src/singular-values';
import { symmetricEigen } from '../src/symmetric-eigen';

const golden = loadGolden('frechet.json');

function features(c: FixtureJson, which: 1 | 2): number[] {
  const g = c[`features${which}_generation`];
  const stored = c[`features${which}`];
  if (stored) return flat(stored);
  return regenerate(g);
}

function checksumOf(v: number[]) {
  let sum = 0;
  let sumSq = 0;
  for (const x of v) {
    sum += x;
    sumSq += x * x;
  }
  return { n: v.length, sum, sumSq };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('golden frechet.json', () => {
  for (const c of golden.cases) {
    it(`${c.name}: covariance route (streamed stats) and feature route`, () => {
      const f1 = features(c, 1);
      let f2 = features(c, 2);
      if (c.name === 'D16_mean_shift') f2 = f1.map((x) => x + 0.5);
      for (const [f, k] of [
        [f1, c.features1_checksum],
        [f2, c.features2_checksum],
      ] as const) {
        const cs = checksumOf(f as number[]);
        expect(cs.n).toBe(k.n);
        expect(rel(cs.sum, k.sum)).toBeLessThan(1e-12);
        expect(rel(cs.sumSq, k.sum_sq)).toBeLessThan(1e-12);
      }
      const d = c.D;
      // stream in uneven batches to exercise the merge
      const s1 = new FeatureStats(d);
      const s2 = new FeatureStats(d);
      for (let r = 0; r < c.N1; r += 13)
        s1.add({ data: f1.slice(r * d, Math.min(c.N1, r + 13) * d), rows: Math.min(13, c.N1 - r) });
      for (let r = 0; r < c.N2; r += 29)
        s2.add({ data: f2.slice(r * d, Math.min(c.N2, r + 29) * d), rows: Math.min(29, c.N2 - r) });
      const mu1 = s1.mean;
      for (let i = 0; i < d; i++) expect(Math.abs(mu1[i] - c.mu1[i])).toBeLessThan(1e-12);
      const cov1 = s1.covariance();
      const diag1 = c.sigma1 ? flat(c.sigma1).filter((_, i) => i % (d + 1) === 0) : c.sigma1_diag;
      for (let i = 0; i < d; i++) expect(Math.abs(cov1[i * d + i] - diag1[i])).toBeLessThan(1e-12);

      const want = c.results.fd_scipy_sqrtm_real;
      const exact = c.results.fd_nuclear_norm_route;
      const byCov = frechetDistance(s1, s2);
      const byFeat = frechetDistanceFromFeatures(f1, c.N1, f2, c.N2, d);
      expect(Math.abs(byCov.meanTerm - c.results.mean_term_sq_norm_mu_diff)).toBeLessThan(
        1e-10 * Math.max(1, c.results.mean_term_sq_norm_mu_diff),
      );
      if (c.name === 'D16_identical') {
        // exact value is 0; the reference is a ±1e-14 rounding residue
        expect(Math.abs(byCov.distance)).toBeLessThan(1e-9);
        expect(Math.abs(byFeat.distance)).toBeLessThan(1e-9);
      } else {
        expect(rel(byCov.distance, want)).toBeLessThan(1e-6);
        expect(rel(byFeat.distance, want)).toBeLessThan(1e-6);
        // against the exact (nuclear-norm / mpmath) value, the feature route is tighter
        expect(rel(byFeat.distance, exact)).toBeLessThan(1e-9);
        expect(rel(byCov.distance, exact)).toBeLessThan(1e-6);
      }
      if (c.name === 'D16_mean_shift') expect(Math.abs(byCov.distance - 4)).toBeLessThan(1e-9);
    });
  }

  it('ddof pitfall: ddof=0 covariances give the documented pitfall value, not the reference', () => {
    const c = golden.cases[0];
    const s1 = new FeatureStats(c.D).add({ data: features(c, 1), rows: c.N1 });
    const s2 = new FeatureStats(c.D).add({ data: features(c, 2), rows: c.N2 });
    const wrong = frechetDistance(
      { mean: s1.mean, covariance: s1.covariance(0) },
      { mean: s2.mean, covariance: s2.covariance(0) },
    );
    expect(rel(wrong.distance, c.results.fd_ddof0_pitfall)).toBeLessThan(1e-8);
    expect(rel(wrong.distance, c.results.fd_scipy_sqrtm_real)).toBeGreaterThan(1e-4);
  });
});

describe('symmetricEigen', () => {
  function randomSym(n: number, seed: number): Float64Array {
    let x = seed >>> 0;
    const rand = () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x / 2 ** 32 - 0.5;
    };
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rand();
    return a;
  }

  for (const n of [1, 2, 5, 40]) {
    it(`A V = V Λ and Vᵀ V = I for a random ${n}x${n} matrix`, () => {
      const a = randomSym(n, 7 + n);
      const { values, vectors } = symmetricEigen(a, n);
      const v = vectors!;
      let worst = 0;
      let worstOrth = 0;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          let av = 0;
          for (let j = 0; j < n; j++) av += a[i * n + j] * v[j * n + k];
          worst = Math.max(worst, Math.abs(av - values[k] * v[i * n + k]));
          let dot = 0;
          for (let j = 0; j < n; j++) dot += v[j * n + i] * v[j * n + k];
          worstOrth = Math.max(worstOrth, Math.abs(dot - (i === k ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThan(1e-12);
      expect(worstOrth).toBeLessThan(1e-12);
      for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
      let tr = 0;
      for (let i = 0; i < n; i++) tr += a[i * n + i];
      expect(Math.abs(values.reduce((s, x) => s + x, 0) - tr)).toBeLessThan(1e-12);
    });
  }

  it('handles repeated eigenvalues and diagonal / zero matrices', () => {
    // Householder reflector H = I - 2uuᵀ: eigenvalues -1 (once) and 1 (n-1 times)
    const n = 6;
    const u = [1, 2, 3, 4, 5, 6].map((x) => x / Math.sqrt(91));
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - 2 * u[i] * u[j];
    const ev = symmetricEigen(h, n).values;
    expect(Math.abs(ev[0] + 1)).toBeLessThan(1e-14);
    for (let k = 1; k < n; k++) expect(Math.abs(ev[k] - 1)).toBeLessThan(1e-14);
    expect(Array.from(symmetricEigen(Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]), 3).values)).toEqual([1, 2, 3]);
    expect(Array.from(symmetricEigen(new Float64Array(16), 4).values)).toEqual([0, 0, 0, 0]);
    expect(() => symmetricEigen(Float64Array.from([1, NaN, NaN, 1]), 2)).toThrow(/non-finite/);
  });
});

describe('FeatureStats', () => {
  it('streamed statistics equal the one-shot ones, merge and JSON round-trip', () => {
    const c = golden.cases[0];
    const f = features(c, 1);
    const whole = new FeatureStats(16).add({ data: f, rows: 64 });
    const a = new FeatureStats(16);
    const b = new FeatureStats(16);
    for (let r = 0; r < 64; r++) (r < 20 ? a : b).add([f.slice(r * 16, r * 16 + 16)]);
    a.merge(b);
    const back = FeatureStats.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(back.count).toBe(64);
    const cw = whole.covariance();
    const cb = back.covariance();
    for (let i = 0; i < 256; i++) expect(Math.abs(cw[i] - cb[i])).toBeLessThan(1e-13);
    expect(Array.from(back.mean)).toEqual(Array.from(a.mean));
  });

  it('validates input', () => {
    const s = new FeatureStats(3);
    expect(() => s.add([[1, 2]])).toThrow(/row 0 has 2 values, expected 3/);
    expect(() => s.add([[1, NaN, 2]])).toThrow(/non-finite value at column 1/);
    expect(() => s.covariance()).toThrow(/needs more than 1 rows, have 0/);
    expect(() => FeatureStats.fromJSON({} as never)).toThrow(/not an evdm-feature-stats/);
  });
});

describe('singularValues', () => {
  it('matches √eig(AᵀA) on a well-conditioned matrix and finds exact zeros of a rank-1 matrix', () => {
    const a = Float64Array.from([4, 0, 3, 0, 2, 0, -3, 0, 4, 1, 1, 1]); // 4x3
    const sv = Array.from(singularValues(a, 4, 3)).sort((x, y) => x - y);
    const ata = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) for (let r = 0; r < 4; r++) ata[i * 3 + j] += a[r * 3 + i] * a[r * 3 + j];
    const ev = Array.from(symmetricEigen(ata, 3).values, Math.sqrt);
    for (let k = 0; k < 3; k++) expect(Math.abs(sv[k] - ev[k])).toBeLessThan(1e-12);
    // u vᵀ with |u| = 5, |v| = 13: one singular value 65, the rest 0
    const u = [3, 4];
    const v = [5, 12, 0];
    const r1 = Float64Array.from(u.flatMap((x) => v.map((y) => x * y)));
    const s1 = Array.from(singularValues(r1, 2, 3)).sort((x, y) => y - x);
    expect(Math.abs(s1[0] - 65)).toBeLessThan(1e-12);
    expect(s1[1]).toBeLessThan(1e-12);
  });
});
