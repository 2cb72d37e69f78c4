import { FeatureStats } from './feature-stats';
import { singularValues } from './singular-values';
import { symmetricEigen } from './symmetric-eigen';

/** A Gaussian fit: mean (length D) and covariance (row-major D×D). */
export interface GaussianStats {
  mean: ArrayLike<number>;
  covariance: ArrayLike<number>;
}

/** The terms of the Fréchet distance, for inspection. */
export interface FrechetTerms {
  distance: number;
  meanTerm: number;
  traceSigma1: number;
  traceSigma2: number;
  /** Tr sqrtm(Σ1 Σ2). */
  traceSqrtProduct: number;
}

function asGaussian(s: FeatureStats | GaussianStats): GaussianStats {
  return s instanceof FeatureStats ? { mean: s.mean, covariance: s.covariance(1) } : s;
}

/**
 * Fréchet distance between two Gaussians (the FID/FVD formula)
 * `‖μ1 − μ2‖² + Tr Σ1 + Tr Σ2 − 2 Tr sqrtm(Σ1 Σ2)`, in float64.
 *
 * `Tr sqrtm(Σ1 Σ2)` is computed as Σ √λ over the eigenvalues λ of the symmetric PSD matrix
 * `Σ1^½ Σ2 Σ1^½` (similar to Σ1 Σ2), with `Σ1^½` from a symmetric eigen-decomposition and tiny
 * negative eigenvalues (rounding) clipped to 0. Unlike a general `sqrtm`, this is well defined for
 * singular (rank-deficient, N < D) covariances.
 */
export function frechetDistance(a: FeatureStats | GaussianStats, b: FeatureStats | GaussianStats): FrechetTerms {
  const s1 = asGaussian(a);
  const s2 = asGaussian(b);
  const d = s1.mean.length;
  if (s2.mean.length !== d) throw new Error(`frechetDistance: dims differ (${d} vs ${s2.mean.length})`);
  if (s1.covariance.length !== d * d || s2.covariance.length !== d * d) {
    throw new Error(`frechetDistance: covariances must be ${d}x${d}`);
  }
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (s1.mean[i] - s2.mean[i]) ** 2;
  let traceSigma1 = 0;
  let traceSigma2 = 0;
  for (let i = 0; i < d; i++) {
    traceSigma1 += s1.covariance[i * d + i];
    traceSigma2 += s2.covariance[i * d + i];
  }
  const traceSqrtProduct = traceSqrtmProduct(Float64Array.from(s1.covariance), Float64Array.from(s2.covariance), d);
  return {
    distance: meanTerm + traceSigma1 + traceSigma2 - 2 * traceSqrtProduct,
    meanTerm,
    traceSigma1,
    traceSigma2,
    traceSqrtProduct,
  };
}

/** Tr sqrtm(A B) for symmetric PSD A, B (D×D row-major) via the eigenvalues of A^½ B A^½. */
export function traceSqrtmProduct(a: Float64Array, b: Float64Array, d: number): number {
  const ea = symmetricEigen(a, d, { vectors: true });
  const v = ea.vectors!;
  const sq = ea.values.map((x) => Math.sqrt(Math.max(x, 0)));
  // R = V diag(sq) Vᵀ
  const vs = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) vs[i * d + k] = v[i * d + k] * sq[k];
  const r = matmulABt(vs, v, d);
  const m = matmul(matmul(r, b, d), r, d);
  const ev = symmetricEigen(m, d, { vectors: false }).values;
  let tr = 0;
  for (const x of ev) tr += Math.sqrt(Math.max(x, 0));
  return tr;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

function matmulABt(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[j * n + k];
      c[i * n + j] = s;
    }
  }
  return c;
}

/**
 * Fréchet distance from the raw feature rows (`[N, D]` row-major), using the exact identity
 * `Tr sqrtm(Σ1 Σ2) = ‖X1c X2cᵀ‖_* / √((N1−1)(N2−1))` (X·c = rows centred on their mean; ‖·‖_* the
 * nuclear norm, the sum of singular values of C = X1c X2cᵀ, by one-sided Jacobi). Exact for
 * rank-deficient covariances (N ≤ D, e.g. FVD over fewer than 400 videos). When both N exceed D
 * the covariances are full rank and the symmetric route of {@link frechetDistance} is used.
 */
export function frechetDistanceFromFeatures(
  f1: ArrayLike<number>,
  n1: number,
  f2: ArrayLike<number>,
  n2: number,
  d: number,
): FrechetTerms {
  if (f1.length !== n1 * d || f2.length !== n2 * d) {
    throw new Error(`frechetDistanceFromFeatures: expected ${n1}x${d} and ${n2}x${d} values, got ${f1.length} and ${f2.length}`);
  }
  if (n1 < 2 || n2 < 2) throw new Error('frechetDistanceFromFeatures: needs at least 2 rows per set');
  const s1 = new FeatureStats(d).add({ data: f1, rows: n1 });
  const s2 = new FeatureStats(d).add({ data: f2, rows: n2 });
  const mu1 = s1.mean;
  const mu2 = s2.mean;
  const c1 = s1.covariance(1);
  const c2 = s2.covariance(1);
  let meanTerm = 0;
  let traceSigma1 = 0;
  let traceSigma2 = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (mu1[i] - mu2[i]) ** 2;
    traceSigma1 += c1[i * d + i];
    traceSigma2 += c2[i * d + i];
  }
  let nuclear: number;
  if (Math.min(n1, n2) > d) {
    // full-rank covariances: the D×D symmetric route is cheaper and well conditioned
    nuclear = traceSqrtmProduct(c1, c2, d) * Math.sqrt((n1 - 1) * (n2 - 1));
  } else {
    const x1 = centred(f1, n1, d, mu1);
    const x2 = centred(f2, n2, d, mu2);
    const c = new Float64Array(n1 * n2); // C = X1c X2cᵀ
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x1[i * d + k] * x2[j * d + k];
        c[i * n2 + j] = s;
      }
    }
    nuclear = singularValues(c, n1, n2).reduce((acc, v) => acc + v, 0);
  }
  const traceSqrtProduct = nuclear / Math.sqrt((n1 - 1) * (n2 - 1));
  return {
    distance: meanTerm + traceSigma1 + traceSigma2 - 2 * traceSqrtProduct,
    meanTerm,
    traceSigma1,
    traceSigma2,
    traceSqrtProduct,
  };
}

function centred(f: ArrayLike<number>, n: number, d: number, mu: Float64Array): Float64Array {
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k] = f[i * d + k] - mu[k];
  return x;
}
