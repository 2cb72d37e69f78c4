import type * as tf from '@tensorflow/tfjs-core';

/** Shape checks shared by the functional attention ops (thrown before any kernel runs). */
export function checkQkv(op: string, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): void {
  for (const [key, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.rank !== 3) throw new Error(`${op}: ${key} must be [N, L, d] (N = batch·heads), got shape [${t.shape}]`);
  }
  if (q.shape[0] !== k.shape[0] || q.shape[0] !== v.shape[0]) {
    throw new Error(`${op}: q, k, v must have the same batch·heads N, got [${q.shape}], [${k.shape}], [${v.shape}]`);
  }
  if (q.shape[2] !== k.shape[2])
    throw new Error(`${op}: q and k must have the same head dimension, got ${q.shape[2]} and ${k.shape[2]}`);
  if (k.shape[1] !== v.shape[1])
    throw new Error(`${op}: k and v must have the same token count L, got ${k.shape[1]} and ${v.shape[1]}`);
}
