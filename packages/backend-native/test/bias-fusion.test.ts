import * as tf from '@tensorflow/tfjs-core';
import { conv, dense, type ParamReader } from '@evdm/core';
import { describe, expect, it } from 'vitest';
import { registerNativeKernels, unregisterNativeKernels } from '../src/index';
import { available, gradsOf, HOSTS, randomData, relErr, requireAddon, runOn } from './helpers';

requireAddon();

// @evdm/core's conv()/dense() run the bias inside FusedConv2D / _FusedMatMul: on the native kernels
// they must equal the composition they replaced (conv2d / matMul + broadcast add) on stock tfjs-cpu.
const reader =
  (w: tf.Tensor, b: tf.Tensor): ParamReader =>
  (name) =>
    name.endsWith('/kernel') ? w : b;
const fusedConv = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => conv(reader(w, b), 'c', x as tf.Tensor4D);
const composedConv = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
  tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b);
const fusedDense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => dense(reader(w, b), 'd', x);
const composedDense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
const both =
  (f: (...xs: tf.Tensor[]) => tf.Tensor) =>
  (...xs: tf.Tensor[]) => [f(...xs), ...gradsOf(f)(...xs)];

describe.skipIf(!available)('conv / dense bias fused into the native kernels', () => {
  for (const host of HOSTS) {
    it(`${host}: conv forward + gradients in x, kernel, bias equal conv2d + add on stock cpu (rel L2 < 1e-6)`, async () => {
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
          [8, 16, 16, 24],
          [3, 3, 24, 48],
        ],
      ]) {
        const shapes = [x, w, [w[3]]];
        const ref = await runOn('cpu', false, shapes, both(composedConv));
        const got = await runOn(host, true, shapes, both(fusedConv));
        for (let i = 0; i < ref.length; i++) expect(relErr(got[i], ref[i])).toBeLessThan(1e-6);
      }
    });
    it(`${host}: dense forward + gradients equal matMul + add on stock cpu`, async () => {
      for (const [n, i, o] of [
        [1, 3, 5],
        [8, 384, 96],
        [3, 1, 1],
      ]) {
        const shapes = [[n, i], [i, o], [o]];
        const ref = await runOn('cpu', false, shapes, both(composedDense));
        const got = await runOn(host, true, shapes, both(fusedDense));
        for (let k = 0; k < ref.length; k++) expect(relErr(got[k], ref[k])).toBeLessThan(1e-6);
      }
    });
  }
  it('cpu: a conv training pass runs no Add: FusedConv2D forward, the bias gradient inside EvdmConv2DGrad; no leaks', async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    registerNativeKernels('cpu');
    try {
      const [x, w, b] = [[2, 8, 8, 4], [3, 3, 4, 6], [6]].map((s, i) => tf.tensor(randomData(s, i + 1), s));
      const before = tf.memory().numTensors;
      const p = await tf.profile(() => tf.dispose(gradsOf(fusedConv)(x, w, b)));
      const names = p.kernels.map((k) => k.name);
      expect(names).toContain('FusedConv2D');
      expect(names).not.toContain('Conv2D');
      // no gradient is accumulated here, so any Add would be the bias; the one Sum is gradsOf's loss
      // (oneDNN reduces the bias gradient inside the weight-gradient pass of EvdmConv2DGrad)
      expect(names.filter((n) => n === 'Add')).toEqual([]);
      expect(names.filter((n) => n === 'EvdmConv2DGrad').length).toBe(1);
      expect(names.filter((n) => n === 'Sum').length).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w, b]);
    } finally {
      unregisterNativeKernels();
    }
  });
});
