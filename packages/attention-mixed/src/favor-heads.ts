import * as tf from '@tensorflow/tfjs-core';
import { FAVOR_ATTENTION, FAVOR_ATTENTION_GRAD, FAVOR_STABILIZERS, type FavorKernelAttrs } from '@evdm/core';
import { favorAttention, stabilizerOf, type FavorOptions } from './favor-attention';
import { stopGradient } from './stop-gradient';

/** `[B, L, heads·d]` → `[B·heads, L, d]`: head j owns channels `[j·d, (j+1)·d)`. */
export function splitHeads(t: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [b, l, c] = t.shape;
  const d = c / heads;
  return tf.reshape(tf.transpose(tf.reshape(t, [b, l, heads, d]), [0, 2, 1, 3]), [b * heads, l, d]);
}

/** `[B·heads, L, d]` → `[B, L, heads·d]` (inverse of {@link splitHeads}). */
export function mergeHeads(t: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [n, l, d] = t.shape;
  const b = n / heads;
  return tf.reshape(tf.transpose(tf.reshape(t, [b, heads, l, d]), [0, 2, 1, 3]), [b, l, heads * d]);
}

function check(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, projection: tf.Tensor2D, heads: number): void {
  const op = 'favorAttentionHeads';
  const shapes = `q [${q?.shape}], k [${k?.shape}], v [${v?.shape}], projection [${projection?.shape}]`;
  for (const [key, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (!(t instanceof tf.Tensor) || t.rank !== 3) throw new Error(`${op}: ${key} must be [B, L, channels], got ${shapes}`);
    if (t.size === 0) throw new Error(`${op}: ${key} is empty (${shapes})`);
  }
  if (!Number.isInteger(heads) || heads <= 0) throw new Error(`${op}: heads must be a positive integer, got ${heads}`);
  if (!tf.util.arraysEqual(q.shape, k.shape)) throw new Error(`${op}: q and k must have the same shape (${shapes})`);
  if (v.shape[0] !== q.shape[0] || v.shape[1] !== q.shape[1]) throw new Error(`${op}: v must share q's [B, L] (${shapes})`);
  if (q.shape[2] % heads !== 0 || v.shape[2] % heads !== 0)
    throw new Error(`${op}: heads (${heads}) must divide the channels of q and v (${shapes})`);
  const d = q.shape[2] / heads;
  if (!(projection instanceof tf.Tensor) || projection.rank !== 2 || projection.shape[1] !== d || projection.shape[0] === 0)
    throw new Error(`${op}: projection must be [m, ${d}] (m features × head dimension), got ${shapes}`);
}

/** Whether the active backend registers the fused kernels. */
export function favorKernelAvailable(): boolean {
  const b = tf.getBackend();
  return tf.getKernel(FAVOR_ATTENTION, b) != null && tf.getKernel(FAVOR_ATTENTION_GRAD, b) != null;
}

function run(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  projection: tf.Tensor2D,
  heads: number,
  opts: FavorOptions,
  useKernel: boolean,
) {
  check(q, k, v, projection, heads);
  const attrs: FavorKernelAttrs = {
    heads,
    stabilizer: FAVOR_STABILIZERS[stabilizerOf(opts.stabilize)],
    epsilon: opts.epsilon ?? 0,
  };
  if (!(attrs.epsilon >= 0) || !Number.isFinite(attrs.epsilon))
    throw new Error(`favorAttentionHeads: epsilon must be a finite number >= 0, got ${attrs.epsilon}`);
  if (!useKernel || q.dtype !== 'float32' || v.dtype !== 'float32' || projection.dtype !== 'float32') {
    return tf.tidy(() =>
      mergeHeads(
        favorAttention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads), stopGradient(projection), opts),
        heads,
      ),
    );
  }
  // the projection is a non-trained buffer: read in both passes, no gradient (as in the composed path's optimiser view)
  const f = tf.customGrad((...args: unknown[]) => {
    const [qi, ki, vi] = args as tf.Tensor3D[];
    const save = args[3] as tf.GradSaveFunc;
    save([qi, ki, vi]);
    const named = { q: qi, k: ki, v: vi, projection };
    const value = tf.engine().runKernel(FAVOR_ATTENTION, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sq, sk, sv] = saved;
        const ins = { q: sq, k: sk, v: sv, projection, dy: dy as tf.Tensor };
        return tf.engine().runKernel(FAVOR_ATTENTION_GRAD, ins, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  return (f as unknown as (...t: tf.Tensor[]) => tf.Tensor3D)(q, k, v);
}

/** Signature of {@link favorAttentionHeads} and its composed reference. */
export type FavorHeadsOp = (
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  projection: tf.Tensor2D,
  heads: number,
  opts?: FavorOptions,
) => tf.Tensor3D;

/**
 * FAVOR+ attention ({@link favorAttention}) of every head of `q`, `k` `[B, L, heads·d]` and
 * `v` `[B, L, heads·dv]`, returned as `[B, L, heads·dv]` (the per-pixel layout the projections use):
 * one native kernel forward and one backward where the backend registers them (no head transposes,
 * no feature maps in memory), else the composed tfjs ops. The projection gets no gradient.
 */
export const favorAttentionHeads: FavorHeadsOp = (q, k, v, projection, heads, opts = {}) =>
  run(q, k, v, projection, heads, opts, favorKernelAvailable());

/** The same op from composed tfjs ops only (the fallback, and the reference in tests). */
export const favorAttentionHeadsComposed: FavorHeadsOp = (q, k, v, projection, heads, opts = {}) =>
  run(q, k, v, projection, heads, opts, false);
