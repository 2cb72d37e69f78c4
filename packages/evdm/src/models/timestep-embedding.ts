import * as tf from '@tensorflow/tfjs-core';

/**
 * Sinusoidal timestep embedding as MCVD (docs/mcvd-reference.md §4.1): width `dim`, `half = dim/2`,
 * `freq_k = exp(-ln(10000)·k/(half-1))`, all sines first, then all cosines. `t` is fed as given
 * (MCVD feeds its integer label, 0 = noisiest).
 */
export function timestepEmbedding(t: number[] | Float32Array, dim: number): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) {
    throw new Error(`timestep embedding width must be an even integer >= 4, got ${dim}`);
  }
  const half = dim / 2;
  const out = new Float32Array(t.length * dim);
  for (let i = 0; i < t.length; i++) {
    for (let k = 0; k < half; k++) {
      const arg = t[i] * Math.exp((-Math.log(10000) * k) / (half - 1));
      out[i * dim + k] = Math.sin(arg);
      out[i * dim + half + k] = Math.cos(arg);
    }
  }
  return tf.tensor2d(out, [t.length, dim]);
}
