import type { Rng } from '@evdm/core';

/**
 * Positive orthogonal random features of Performer (Choromanski et al. 2020, "scaling = 0"):
 * `ceil(m/d)` blocks, each the transpose of the Q factor of a `d×d` standard-normal matrix (so the
 * rows inside a block are orthonormal), stacked and cut to `m` rows; then row `i` is multiplied by
 * the norm of an independent `N(0, I_d)` vector (chi_d distributed), which restores the row norms
 * of i.i.d. Gaussian features while keeping the directions orthogonal.
 *
 * Host-side, float64, deterministic in `rng` (all block matrices are drawn first, then the `m`
 * norm vectors, the same order as the golden generator). QR is modified Gram-Schmidt on the
 * columns (with re-orthogonalisation) and a positive R diagonal, which makes each block Haar-distributed.
 *
 * @returns row-major `[m, d]` (row `i` is the feature vector `w_i`).
 */
export function orthogonalRandomFeatures(m: number, d: number, rng: Rng): Float32Array {
  if (!Number.isInteger(m) || m < 1)
    throw new Error(`orthogonalRandomFeatures: m (features) must be a positive integer, got ${m}`);
  if (!Number.isInteger(d) || d < 1)
    throw new Error(`orthogonalRandomFeatures: d (head dimension) must be a positive integer, got ${d}`);
  const blocks = Math.ceil(m / d);
  const rows = new Float64Array(blocks * d * d);
  for (let b = 0; b < blocks; b++) {
    const g = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) g[i] = rng.normal();
    const q = orthonormalColumns(g, d);
    // block = Q^T: row r of the block is column r of Q
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) rows[(b * d + r) * d + c] = q[c * d + r];
  }
  const out = new Float32Array(m * d);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const z = rng.normal();
      s += z * z;
    }
    const norm = Math.sqrt(s);
    for (let j = 0; j < d; j++) out[i * d + j] = rows[i * d + j] * norm;
  }
  return out;
}

/** Modified Gram-Schmidt on the columns of a row-major `d×d` matrix; returns Q (row-major). */
function orthonormalColumns(a: Float64Array, d: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < d; j++) {
    // two passes ("twice is enough") keep the columns orthogonal to ~1e-15 even for
    // ill-conditioned draws
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[i * d + k] * q[i * d + j];
        for (let i = 0; i < d; i++) q[i * d + j] -= dot * q[i * d + k];
      }
    }
    let n = 0;
    for (let i = 0; i < d; i++) n += q[i * d + j] ** 2;
    n = Math.sqrt(n);
    // a Gaussian matrix is singular with probability 0; guard anyway rather than divide by 0
    if (!(n > 1e-300)) throw new Error('orthogonalRandomFeatures: degenerate random block (rank deficient)');
    for (let i = 0; i < d; i++) q[i * d + j] /= n;
  }
  return q;
}
