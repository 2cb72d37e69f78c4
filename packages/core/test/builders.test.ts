import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { gradCheck, leakedTensors, relL2, useCpu } from '../../../test-utils/tf';
import { conv, convSpecs, dense, denseSpecs } from '../src/builders';
import type { ParamReader } from '../src/params';

// conv()/dense() fuse the bias into the conv / matmul kernel: they must equal the composition they
// replaced (conv2d or matMul, then a broadcast add), forward and in every gradient.
const composedConv = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
  tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b);
const composedDense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
const reader =
  (prefix: string, w: tf.Tensor, b: tf.Tensor): ParamReader =>
  (name) => {
    if (name === `${prefix}/kernel`) return w;
    if (name === `${prefix}/bias`) return b;
    throw new Error(`unexpected parameter ${name}`);
  };
const fusedConv = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => conv(reader('c', w, b), 'c', x as tf.Tensor4D);
const fusedDense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => dense(reader('d', w, b), 'd', x);

let seed = 3;
const rand = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1),
    shape,
  );
};

/** Worst relative L2 error of f against g over the value and the gradients in every input of sum(f·r). */
function compare(f: (...xs: tf.Tensor[]) => tf.Tensor, g: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][]): number {
  return tf.tidy(() => {
    const xs = shapes.map(rand);
    const r = rand(g(...xs).shape);
    const run = (h: typeof f) => [h(...xs), ...tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(h(...ys), r)))(xs)];
    const [a, b] = [run(f), run(g)];
    return Math.max(...a.map((t, i) => relL2(t.dataSync(), b[i].dataSync())));
  });
}

describe('conv / dense with the bias fused into the kernel', () => {
  beforeAll(useCpu);
  it('keep their parameter names and layouts', () => {
    expect(convSpecs('c', 3, 4, 5).map((s) => [s.name, s.shape])).toEqual([
      ['c/kernel', [3, 3, 4, 5]],
      ['c/bias', [5]],
    ]);
    expect(denseSpecs('d', 4, 5).map((s) => [s.name, s.shape])).toEqual([
      ['d/kernel', [4, 5]],
      ['d/bias', [5]],
    ]);
  });
  it('conv equals conv2d + bias: forward and gradients in x, kernel, bias (odd sizes, batch 1, 1x1 and 3x3)', () => {
    for (const [x, w] of [
      [
        [1, 5, 7, 3],
        [3, 3, 3, 4],
      ],
      [
        [2, 9, 6, 5],
        [1, 1, 5, 7],
      ],
      [
        [3, 4, 4, 2],
        [3, 3, 2, 1],
      ],
    ]) {
      expect(compare(fusedConv, composedConv, [x, w, [w[3]]])).toBeLessThan(1e-6);
    }
  });
  it('dense equals matMul + bias: forward and gradients in x, kernel, bias', () => {
    for (const [n, i, o] of [
      [1, 3, 5],
      [8, 17, 9],
      [3, 1, 1],
    ])
      expect(compare(fusedDense, composedDense, [[n, i], [i, o], [o]])).toBeLessThan(1e-6);
  });
  it('gradients agree with finite differences', () => {
    const xs = [rand([2, 5, 5, 3]), rand([3, 3, 3, 4]), rand([4])];
    expect(gradCheck(fusedConv, xs, { eps: 1e-2 })).toBeLessThan(1e-2);
    const ds = [rand([4, 6]), rand([6, 3]), rand([3])];
    expect(gradCheck(fusedDense, ds, { eps: 1e-2 })).toBeLessThan(1e-2);
    tf.dispose([...xs, ...ds]);
  });
  it('leak no tensors', () => {
    const [x, w, b] = [rand([1, 4, 4, 2]), rand([3, 3, 2, 3]), rand([3])];
    expect(
      leakedTensors(() =>
        tf.dispose(tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) => tf.sum(fusedConv(a, k, c)))([x, w, b])),
      ),
    ).toBe(0);
    tf.dispose([x, w, b]);
  });
});
