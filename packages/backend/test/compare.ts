// Test helper: run the same computation on two backends from identical host data.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@evdm/core';

export interface Spec {
  shape: number[];
  seed: number;
}

export function randomData(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Creates the input tensors on `backend`, runs `fn`, returns every output's values. */
export async function runOn(
  backend: string,
  inputs: Spec[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = inputs.map((s) => tf.tensor(randomData(s.shape, s.seed), s.shape));
  const out = fn(...xs);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...xs, ...list]);
  return values;
}

/** Gradients of sum(f(xs) * r) for a fixed random r: exercises every backward kernel of f. */
export function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, rSeed = 99): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const shape = tf.tidy(() => f(...xs).shape);
    const r = tf.tensor(randomData(shape, rSeed), shape);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), r)))(xs);
    r.dispose();
    return g;
  };
}
