import * as tf from '@tensorflow/tfjs-core';
import type { NoiseSchedule } from '@evdm/diffusion';

/**
 * The exact (Bayes-optimal) ε-predictor when the data distribution is a finite set of images
 * `x_i` with equal weights: `E[x0 | x_t] = Σ w_i x_i`, `w = softmax(-|x_t - √ᾱ x_i|² / (2(1-ᾱ)))`,
 * `ε = (x_t - √ᾱ E[x0|x_t]) / √(1-ᾱ)`. A sampler driven by it must land on the data points, which
 * makes it an end-to-end check of schedule + sampler with no training.
 */
export function exactFiniteDataDenoiser(schedule: NoiseSchedule, data: tf.Tensor4D) {
  const n = data.shape[0];
  const flatData = tf.reshape(data, [n, -1]) as tf.Tensor2D;
  return (xt: tf.Tensor4D, t: number[]): tf.Tensor4D =>
    tf.tidy(() => {
      const b = xt.shape[0];
      const ab = tf.tensor1d(t.map((ti) => schedule.alphasCumprod[ti]));
      const sa = tf.reshape(tf.sqrt(ab), [b, 1]);
      const s1 = tf.reshape(tf.sqrt(tf.sub(1, ab)), [b, 1]);
      const x = tf.reshape(xt, [b, -1]) as tf.Tensor2D;
      // |x - √ᾱ d|² = |x|² - 2√ᾱ x·d + ᾱ|d|²  (per sample and data point)
      const xd = tf.matMul(x, flatData, false, true);
      const d2 = tf.sum(tf.square(flatData), 1);
      const dist = tf.add(
        tf.sub(tf.sum(tf.square(x), 1, true), tf.mul(tf.mul(xd, sa), 2)),
        tf.mul(tf.reshape(d2, [1, n]), tf.reshape(ab, [b, 1])),
      );
      const w = tf.softmax(tf.div(tf.neg(dist), tf.mul(tf.reshape(tf.sub(1, ab), [b, 1]), 2)));
      const x0 = tf.matMul(w, flatData);
      return tf.reshape(tf.div(tf.sub(x, tf.mul(x0, sa)), s1), xt.shape) as tf.Tensor4D;
    });
}
