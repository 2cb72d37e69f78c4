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
   *   query feature of every row and the largest key feature of every slice are exactly
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

function stabilizerOf(s: FavorOptions['stabilize']): FavorStabilizer {
  if (s === undefined) return 'exponent';
  if (s === true) return 'performer';
  if (s === false) return 'none';
  if (s === 'none' || s === 'performer' || s === 'exponent') return s;
  throw new Error(`favorAttention: stabilize must be a boolean, 'none', 'performer' or 'exponent', got ${String(s)}`);
}

/**
 * `exponent − max(source, axes)` with no gradient through the max. The max is taken inside the
 * custom op's forward pass, which the tape does not record: a plain `stopGradient(tf.max(...))`
 * would still run Max's backward (an Equal mask and products over the whole `[N, L, m]` map) only
 * to multiply it by zero.
 */
function subtractStoppedMax(exponent: tf.Tensor, source: tf.Tensor, axes: number[]): tf.Tensor {
  // `source` is read in the forward pass only, not an input of the op: its gradient through the max
  // is zero, and returning it would materialise a full-size ZerosLike per call in the backward pass
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const e = args[0] as tf.Tensor;
    return {
      value: tf.sub(e, tf.max(source, axes, true)),
      gradFunc: (dy: tf.Tensor) => tf.clone(dy),
    };
  });
  return op(exponent);
}

/**
 * `phi(x) = (exp(W x' − |x'|²/2 − c) + epsilon) / sqrt(m)`, where the gradient-stopped constant
 * `c` is 0 (`'none'`) or a max of `W x'` (`'performer'`) or of the whole exponent (`'exponent'`),
 * taken per row for queries and per batch·head slice for keys.
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
    const xs = tf.mul(x, d ** -0.25);
    // one [N·L, d] × [d, m] matmul instead of a broadcast batched one
    const proj = tf.reshape(tf.matMul(tf.reshape(xs, [n * l, d]), projection, false, true), [n, l, m]);
    const halfNorm = tf.mul(tf.sum(tf.square(xs), 2, true), 0.5);
    let exponent = tf.sub(proj, halfNorm);
    if (stabilizer !== 'none') {
      const axes = role === 'query' ? [2] : [1, 2];
      exponent = subtractStoppedMax(exponent, stabilizer === 'performer' ? proj : exponent, axes);
    }
    let phi = tf.exp(exponent);
    if (epsilon > 0) phi = tf.add(phi, epsilon);
    return tf.mul(phi, 1 / Math.sqrt(m)) as tf.Tensor3D;
  });
}
