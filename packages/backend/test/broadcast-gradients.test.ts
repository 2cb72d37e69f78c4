import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOptional } from '../src/module-loader';
import { registerBroadcastGradients } from '../src/broadcast-gradients';

// The Sum / Mean gradients as broadcasts, against the stock configs of the tfjs-layers bundle
// (bit for bit) and against the mathematics (the gradient of a linear reduction is the upstream
// gradient repeated over the reduced axes, divided by their size for Mean), in plain JS.
const CASES: { shape: number[]; axis: number | number[] }[] = [
  { shape: [2, 3, 4], axis: 1 },
  { shape: [2, 3, 4], axis: [0, 2] },
  { shape: [5, 7], axis: -1 },
  { shape: [3, 1, 4, 2], axis: [1, 3] },
  { shape: [6], axis: 0 },
  { shape: [2, 3, 2, 2, 3], axis: [0, 1, 2, 3, 4] },
];

let stock: { Sum: tf.GradConfig; Mean: tf.GradConfig };

beforeAll(async () => {
  await tf.setBackend('cpu');
  expect(loadOptional('@tensorflow/tfjs-layers').ok).toBe(true);
  stock = { Sum: tf.getGradient('Sum')!, Mean: tf.getGradient('Mean')! };
  registerBroadcastGradients();
});

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** dy broadcast over the reduced axes (÷ their size for Mean), computed element by element. */
function expected(shape: number[], axis: number | number[], dy: Float32Array, mean: boolean): Float32Array {
  const axes = tf.util.parseAxisParam(axis, shape);
  const keep = shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const count = axes.reduce((n, a) => n * shape[a], 1);
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  const strides = tf.util.computeStrides(keep);
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    let j = 0;
    for (let k = shape.length - 1; k >= 0; k--) {
      const c = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
      if (!axes.includes(k)) j += c * (k === shape.length - 1 ? 1 : (strides[k] ?? 1));
    }
    out[i] = mean ? dy[j] / count : dy[j];
  }
  return out;
}

describe('Sum and Mean gradients as one broadcast', () => {
  for (const kernel of ['Sum', 'Mean'] as const) {
    for (const c of CASES) {
      it(`${kernel} [${c.shape}] axis ${JSON.stringify(c.axis)}: stock values bit for bit, and the closed form`, () => {
        const x = seeded(c.shape, 1);
        const red = kernel === 'Sum' ? tf.sum(x, c.axis) : tf.mean(x, c.axis);
        const dy = seeded(red.shape, 2);
        const attrs = { axis: c.axis, keepDims: false } as unknown as tf.NamedAttrMap;
        const ours = tf.getGradient(kernel)!.gradFunc(dy, [x], attrs) as Record<string, () => tf.Tensor>;
        const theirs = stock[kernel].gradFunc(dy, [x], attrs) as Record<string, () => tf.Tensor>;
        const got = ours.x();
        expect(got.shape).toEqual(c.shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(theirs.x().dataSync()));
        expect(Array.from(got.dataSync())).toEqual(
          Array.from(expected(c.shape, c.axis, dy.dataSync() as Float32Array, kernel === 'Mean')),
        );
        // through the tape: d/dx Σ(reduce(x)·dy) is the same tensor
        const viaTape = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(kernel === 'Sum' ? tf.sum(t, c.axis) : tf.mean(t, c.axis), dy)))(
          x,
        );
        expect(Array.from(viaTape.dataSync())).toEqual(Array.from(got.dataSync()));
        tf.dispose([x, red, dy, got, viaTape]);
      });
    }
  }
});
