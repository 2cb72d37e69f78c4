import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from './stop-gradient';
import { checkQkv } from './validate';

export interface FavorOptions {
  /**
   * Subtract the Performer stabilisers before `exp`: per query row, the max over features of
   * `W q'`; for keys, the max over all keys and features of `W k'` (per batch·head slice).
   * Both are constants that cancel exactly in `D^-1(Q'(K'^T V))`, so with `epsilon = 0` the
   * output equals the plain one; they are wrapped in a zero-gradient op, as in the reference
   * code. Default true.
   */
  stabilize?: boolean;
  /**
   * Added to every feature after `exp` (Performer's `eps`, 1e-4 in google-research and
   * performer-pytorch). Keeps `D > 0` when features underflow, at the cost of a small bias.
   * Default 0 (the unbiased estimator).
   */
  epsilon?: number;
}

/**
 * FAVOR+ (Performer) non-causal attention with positive random features:
 * `x' = x / d^¼`, `phi(x) = exp(W x' − |x'|²/2) / sqrt(m)`, `out = D^-1 (Q' (K'^T V))`,
 * `D = diag(Q' (K'^T 1))`. Unbiased estimate of `softmax(Q K^T / sqrt(d)) V`'s kernel
 * `exp(q·k / sqrt(d))`; cost linear in L.
 *
 * @param q `[N, L, d]`, k `[N, L, d]`, v `[N, L, dv]` (N = batch × heads)
 * @param projection `[m, d]` random features (rows `w_i`), e.g. from `orthogonalRandomFeatures`,
 *   shared by all N slices (as in Performer).
 *
 * MACs per slice (matmuls only, fvcore convention): `2·L·m·d` feature projections,
 * `L·m·dv` for `K'^T V`, `L·m·dv` for `Q'(K'^T V)`, `L·m` for the normaliser `Q'(K'^T 1)`.
 */
export function favorAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  projection: tf.Tensor2D,
  opts: FavorOptions = {},
): tf.Tensor3D {
  checkQkv('favorAttention', q, k, v);
  const d = q.shape[2];
  if (projection.rank !== 2 || projection.shape[1] !== d) {
    throw new Error(`favorAttention: projection must be [m, ${d}] (m features × head dimension), got [${projection.shape}]`);
  }
  const stabilize = opts.stabilize ?? true;
  const epsilon = opts.epsilon ?? 0;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new Error(`favorAttention: epsilon must be a finite number >= 0, got ${epsilon}`);
  return tf.tidy(() => {
    const qf = featureMap(q, projection, stabilize ? 'query' : 'none', epsilon);
    const kf = featureMap(k, projection, stabilize ? 'key' : 'none', epsilon);
    const [n, , m] = kf.shape;
    const context = tf.matMul(kf, v, true, false); // [N, m, dv]
    const numerator = tf.matMul(qf, context); // [N, L, dv]
    const keySum = tf.reshape(tf.sum(kf, 1), [n, m, 1]); // K'^T 1
    const normalizer = tf.matMul(qf, keySum); // [N, L, 1]
    return tf.div(numerator, normalizer) as tf.Tensor3D;
  });
}

/**
 * `phi(x) = (exp(W x' − |x'|²/2 − c) + epsilon) / sqrt(m)`, with `c` = 0 (plain), the per-row
 * max of `W x'` (queries) or the per-slice max of `W x'` (keys), gradient-stopped.
 * @returns `[N, L, m]`
 */
export function featureMap(
  x: tf.Tensor3D,
  projection: tf.Tensor2D,
  stabilizer: 'none' | 'query' | 'key',
  epsilon = 0,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, l, d] = x.shape;
    const m = projection.shape[0];
    const xs = tf.mul(x, d ** -0.25);
    // one [N·L, d] × [d, m] matmul instead of a broadcast batched one
    const proj = tf.reshape(tf.matMul(tf.reshape(xs, [n * l, d]), projection, false, true), [n, l, m]);
    const halfNorm = tf.mul(tf.sum(tf.square(xs), 2, true), 0.5);
    let exponent = tf.sub(proj, halfNorm);
    if (stabilizer !== 'none') {
      const axes = stabilizer === 'query' ? [2] : [1, 2];
      exponent = tf.sub(exponent, stopGradient(tf.max(proj, axes, true)));
    }
    let phi = tf.exp(exponent);
    if (epsilon > 0) phi = tf.add(phi, epsilon);
    return tf.mul(phi, 1 / Math.sqrt(m)) as tf.Tensor3D;
  });
}
