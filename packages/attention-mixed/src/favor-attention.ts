import * as tf from '@tensorflow/tfjs-core';
import { checkQkv } from './check-qkv';

/** Which max FAVOR+ subtracts inside `exp`; see {@link FavorOptions.stabilize}. */
export type FavorStabilizer = 'none' | 'performer' | 'exponent';

export interface FavorOptions {
  /**
   * Subtract a max before `exp` so no feature overflows. Every choice subtracts a constant per
   * query row and per key slice, which cancels exactly in `D^-1(Q'(K'^T V))` when `epsilon = 0`
   * (same value, same gradient); the constant is wrapped in a zero-gradient op, as in Performer.
   * - `'performer'` (or `true`): google-research / performer-pytorch: queries subtract the row max
   *   of `W q'`, keys the max of `W k'` over all keys and features of the batch·head slice.
   * - `'exponent'`: the same maxima taken over the whole exponent `W x' − |x'|²/2`, so the largest
   *   query feature of every row and the largest key feature of every slice are
   *   `1/sqrt(m)`: nothing overflows and a row cannot underflow entirely.
   * - `false` / `'none'`: plain (can overflow for large `|x|`).
   * Default 'exponent' (`true` means the reference code's 'performer').
   */
  stabilize?: boolean | FavorStabilizer;
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
  const stabilize = stabilizerOf(opts.stabilize);
  const epsilon = opts.epsilon ?? 0;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon))
    throw new Error(`favorAttention: epsilon must be a finite number >= 0, got ${epsilon}`);
  return tf.tidy(() => {
    const qf = featureMap(q, projection, stabilize, 'query', epsilon);
    const kf = featureMap(k, projection, stabilize, 'key', epsilon);
    const [n, , m] = kf.shape;
    const context = tf.matMul(kf, v, true, false); // [N, m, dv]
    const numerator = tf.matMul(qf, context); // [N, L, dv]
    const keySum = tf.reshape(tf.sum(kf, 1), [n, m, 1]); // K'^T 1
    const normalizer = tf.matMul(qf, keySum); // [N, L, 1]
    return tf.div(numerator, normalizer) as tf.Tensor3D;
  });
}

export function stabilizerOf(s: FavorOptions['stabilize']): FavorStabilizer {
  if (s === undefined) return 'exponent';
  if (s === true) return 'performer';
  if (s === false) return 'none';
  if (s === 'none' || s === 'performer' || s === 'exponent') return s;
  throw new Error(`favorAttention: stabilize must be a boolean, 'none', 'performer' or 'exponent', got ${String(s)}`);
}

/**
 * `exponent − (max(source, axes) + offset)` with no gradient through the max. The max is taken
 * inside the custom op's forward pass, which the tape does not record: a plain
 * `stopGradient(tf.max(...))` would still run Max's backward (an Equal mask and products over the
 * whole `[N, L, m]` map) only to multiply it by zero. `offset` is added to the (small) max, not to
 * the full-size map.
 */
function subtractStoppedMax(exponent: tf.Tensor, source: tf.Tensor, axes: number[], offset: number): tf.Tensor {
  // `source` is read in the forward pass only, not an input of the op: its gradient through the max
  // is zero, and returning it would materialise a full-size ZerosLike per call in the backward pass
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const e = args[0] as tf.Tensor;
    const max = tf.max(source, axes, true);
    return {
      value: tf.sub(e, offset === 0 ? max : tf.add(max, offset)),
      gradFunc: (dy: tf.Tensor) => tf.clone(dy),
    };
  });
  return op(exponent);
}

/**
 * `phi(x) = (exp(W x' − |x'|²/2 − c) + epsilon) / sqrt(m)`, where the gradient-stopped constant
 * `c` is 0 (`'none'`) or a max of `W x'` (`'performer'`) or of the whole exponent (`'exponent'`),
 * taken per row for queries and per batch·head slice for keys.
 * The scalings are folded where they touch the fewest elements: `x' = x / d^¼` scales the `[m, d]`
 * projection and the `[N, L, 1]` norms instead of `x`, and `1/sqrt(m)` enters the exponent as
 * `−ln(m)/2` on the `[N, L, 1]` (or max) term instead of multiplying the `[N, L, m]` features: two
 * full-size passes fewer, forward and backward.
 * @returns `[N, L, m]`
 */
export function featureMap(
  x: tf.Tensor3D,
  projection: tf.Tensor2D,
  stabilizer: FavorStabilizer,
  role: 'query' | 'key',
  epsilon = 0,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, l, d] = x.shape;
    const m = projection.shape[0];
    const logRootM = 0.5 * Math.log(m);
    // W x' = (d^-¼ W) x: one [N·L, d] × [d, m] matmul instead of a broadcast batched one
    const proj = tf.reshape(tf.matMul(tf.reshape(x, [n * l, d]), tf.mul(projection, d ** -0.25), false, true), [n, l, m]);
    // |x'|²/2 = |x|² / (2 sqrt(d)), plus ln(m)/2 unless the max term carries it
    const halfNorm = tf.mul(tf.sum(tf.square(x), 2, true), 0.5 / Math.sqrt(d));
    let exponent: tf.Tensor;
    if (stabilizer === 'none') exponent = tf.sub(proj, tf.add(halfNorm, logRootM));
    else {
      const axes = role === 'query' ? [2] : [1, 2];
      const centred = tf.sub(proj, halfNorm);
      exponent = subtractStoppedMax(centred, stabilizer === 'performer' ? proj : centred, axes, logRootM);
    }
    const phi = tf.exp(exponent);
    return (epsilon > 0 ? tf.add(phi, epsilon / Math.sqrt(m)) : phi) as tf.Tensor3D;
  });
}
