import * as tf from '@tensorflow/tfjs-core';
import { checkQkv } from './check-qkv';

/**
 * Exact (softmax) attention, non-causal: `softmax(Q K^T / sqrt(d)) V`, softmax over the keys.
 * `q`, `k`: `[N, L, d]`, `v`: `[N, L, dv]` (N = batch × heads). Two batched matmuls of
 * `N·L·L·d` and `N·L·L·dv` MACs; memory O(N·L²).
 */
export function softmaxAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  checkQkv('softmaxAttention', q, k, v);
  return tf.tidy(() => {
    const d = q.shape[2];
    // scale q (L·d elements) rather than the L·L logits
    const logits = tf.matMul(tf.mul(q, 1 / Math.sqrt(d)), k, false, true);
    return tf.matMul(tf.softmax(logits), v) as tf.Tensor3D;
  });
}
