// Singular values by one-sided (Hestenes) Jacobi: rotate column pairs until all columns are
// mutually orthogonal; the column norms are then the singular values. Unlike √eig(AᵀA), it
// keeps tiny and zero singular values accurate to ~eps·σmax (√eig gives ~√eps·σmax each).

/** Singular values (unsorted) of the row-major `rows × cols` matrix `a` (not modified). */
export function singularValues(a: Float64Array, rows: number, cols: number): Float64Array {
  if (a.length !== rows * cols) throw new Error(`singularValues: expected ${rows}x${cols} values, got ${a.length}`);
  // work on the orientation with fewer columns; store columns contiguously
  const transpose = cols > rows;
  const n = transpose ? rows : cols;
  const m = transpose ? cols : rows;
  const col = new Float64Array(n * m);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = a[r * cols + c];
      if (transpose) col[r * m + c] = v;
      else col[c * m + r] = v;
    }
  }
  const maxSweeps = 60;
  for (let sweep = 0; ; sweep++) {
    if (sweep >= maxSweeps) throw new Error('singularValues: one-sided Jacobi did not converge');
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * m;
        const oq = q * m;
        for (let i = 0; i < m; i++) {
          const x = col[op + i];
          const y = col[oq + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= Number.EPSILON * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = col[op + i];
          const y = col[oq + i];
          col[op + i] = c * x - s * y;
          col[oq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += col[k * m + i] ** 2;
    out[k] = Math.sqrt(s);
  }
  return out;
}
