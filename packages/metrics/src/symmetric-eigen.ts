// Symmetric eigen-decomposition in float64 on the host (TF.js has no eig/svd): Householder
// reduction to tridiagonal form, then the implicit QL iteration with Wilkinson-style shifts.
// O(n³); n = 400 takes well under a second.

/** Eigenvalues (ascending) and, if requested, eigenvectors as columns of a row-major n×n matrix. */
export interface SymmetricEigen {
  values: Float64Array;
  vectors?: Float64Array;
}

/**
 * Decomposes the symmetric n×n matrix `a` (row-major; only its symmetric part is used; not
 * modified). With `vectors: true`, `a = V·diag(values)·Vᵀ` with orthonormal columns of V.
 */
export function symmetricEigen(a: Float64Array, n: number, { vectors = true } = {}): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n}x${n} = ${n * n} values, got ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`symmetricEigen: matrix has a non-finite entry at index ${i}`);
  }
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const q = vectors ? identity(n) : undefined;
  tridiagonalize(m, n, d, e, q);
  tridiagonalQl(d, e, n, q);
  // sort ascending (with the vectors)
  const order = Array.from(d.keys()).sort((i, j) => d[i] - d[j]);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!q) return { values };
  const v = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) v[r * n + c] = q[r * n + order[c]];
  return { values, vectors: v };
}

function identity(n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  return q;
}

/**
 * Householder reduction of the symmetric matrix `m` (overwritten) to T = Qᵀ m Q with diagonal `d`
 * and sub-diagonal `e` (e[i] couples i and i+1). If `q` is given (identity on entry), it becomes Q.
 */
function tridiagonalize(m: Float64Array, n: number, d: Float64Array, e: Float64Array, q?: Float64Array): void {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // x = column k below the diagonal; reflect it onto alpha·e1
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += m[i * n + k] * m[i * n + k];
    const norm = Math.sqrt(norm2);
    const x0 = m[(k + 1) * n + k];
    if (norm === 0 || norm2 - x0 * x0 === 0) continue; // already tridiagonal in this column
    const alpha = x0 > 0 ? -norm : norm;
    for (let i = k + 1; i < n; i++) v[i] = m[i * n + k];
    v[k + 1] -= alpha;
    let vn2 = 0;
    for (let i = k + 1; i < n; i++) vn2 += v[i] * v[i];
    const vn = Math.sqrt(vn2);
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    // B ← H B H with H = I - 2vvᵀ on the trailing block: B - 2(v wᵀ + w vᵀ), w = Bv - (vᵀBv) v
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += m[i * n + j] * v[j];
      p[i] = s;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) vp += v[i] * p[i];
    for (let i = k + 1; i < n; i++) p[i] -= vp * v[i];
    for (let i = k + 1; i < n; i++) {
      const vi = 2 * v[i];
      const pi = 2 * p[i];
      for (let j = k + 1; j < n; j++) m[i * n + j] -= vi * p[j] + pi * v[j];
    }
    m[(k + 1) * n + k] = alpha;
    m[k * n + k + 1] = alpha;
    for (let i = k + 2; i < n; i++) {
      m[i * n + k] = 0;
      m[k * n + i] = 0;
    }
    if (q) {
      // Q ← Q H on columns k+1..n-1
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = k + 1; j < n; j++) s += q[r * n + j] * v[j];
        s *= 2;
        if (s !== 0) for (let j = k + 1; j < n; j++) q[r * n + j] -= s * v[j];
      }
    }
  }
  for (let i = 0; i < n; i++) d[i] = m[i * n + i];
  for (let i = 0; i < n - 1; i++) e[i] = m[(i + 1) * n + i];
  e[n - 1] = 0;
}

/**
 * Implicit QL on the tridiagonal (d, e): d becomes the eigenvalues; the plane rotations are
 * accumulated into the columns of `z` when given.
 */
function tridiagonalQl(d: Float64Array, e: Float64Array, n: number, z?: Float64Array): void {
  const maxIter = 60;
  // Deflate against the matrix norm, not the neighbouring diagonal: with many (near-)zero
  // eigenvalues (rank-deficient covariances) a purely relative test can stall.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0));
  const tol = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      // find the first negligible off-diagonal element at or after l
      let m = l;
      for (; m < n - 1; m++) {
        if (Math.abs(e[m]) <= tol) break;
      }
      if (m === l) break;
      if (++iter > maxIter) throw new Error('symmetricEigen: QL iteration did not converge');
      // shift from the leading 2×2 block
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // underflow: split the matrix and restart at l
          d[i + 1] -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (z) {
          for (let k = 0; k < n; k++) {
            const zi1 = z[k * n + i + 1];
            const zi = z[k * n + i];
            z[k * n + i + 1] = s * zi + c * zi1;
            z[k * n + i] = c * zi - s * zi1;
          }
        }
      }
      if (deflated) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
