// conv2dSame (@evdm/core) with the native one-call backward kernel EvdmConv2DGrad vs tf.fused.conv2d
// (the op's path without the kernel): output and the x, filter, bias gradients on both hosts; finite
// differences; that the kernel really replaces the separate backprop kernels and the bias Sum; leaks;
// bad input to the kernel.
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { CONV2D_GRAD, conv2dGradKernelAvailable, conv2dSame } from '@evdm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { directionalGradCheck, leakedTensors } from '../../../test-utils/tf';
import { unregisterNativeKernels } from '../src/index';
import { available, HOSTS, relErr, requireAddon, TOL, useHost as on } from './helpers';

requireAddon();

// [batch, height, width, cin, cout, kernel]: odd sizes, batch 1, a 1x1 image, one output channel,
// 1x1 and 3x3 kernels, and EVDM-L's thin 3x3 paths
const CASES = [
  [1, 5, 7, 3, 4, 3],
  [3, 4, 4, 5, 1, 1],
  [1, 1, 1, 2, 3, 3],
  [2, 9, 6, 12, 24, 3],
  [2, 16, 16, 24, 48, 3],
  [2, 8, 8, 48, 12, 1],
];

function inputs([b, h, w, cin, cout, k]: number[]): tf.Tensor[] {
  return [
    tf.randomNormal([b, h, w, cin], 0, 1, 'float32', 1),
    tf.randomNormal([k, k, cin, cout], 0, 0.5, 'float32', 2),
    tf.randomNormal([cout], 0, 1, 'float32', 3),
  ];
}

const f = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D, bias);

/** Output and the gradients of sum(conv · dy) in x, filter, bias. */
function run(c: number[]): Float32Array[] {
  const [x, w, bias] = inputs(c);
  const y = f(x, w, bias);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
  const grads = tf.grads((a, b, cc) => tf.sum(tf.mul(f(a, b, cc), dy)))([x, w, bias]);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([x, w, bias, y, dy, ...grads]);
  return out;
}

describe.skipIf(!available)('conv2dSame with the native EvdmConv2DGrad vs tf.fused.conv2d', () => {
  afterAll(() => unregisterNativeKernels());

  for (const host of HOSTS) {
    for (const c of CASES) {
      it(`${host}: [${c.slice(0, 4)}] -> ${c[4]}, ${c[5]}x${c[5]}: output and the x, filter, bias gradients`, async () => {
        await on(host, false);
        // the pure TF.js reference (on wasm, with evdm's wasm training kernels: the stock backend has no conv gradients)
        if (host === 'wasm') registerWasmTrainingKernels();
        expect(conv2dGradKernelAvailable()).toBe(false);
        const want = run(c);
        await on(host, true);
        expect(conv2dGradKernelAvailable()).toBe(true);
        const got = run(c);
        ['y', 'dx', 'dfilter', 'dbias'].forEach((name, i) => {
          const e = relErr(got[i], want[i]);
          expect(e, `${name}: rel L2 ${e}`).toBeLessThan(TOL);
        });
      });
    }

    it(`${host}: the backward pass is one EvdmConv2DGrad call (no separate backprop kernels, no bias Sum)`, async () => {
      await on(host, true);
      const [x, w, bias] = inputs(CASES[3]);
      const info = await tf.profile(() => tf.dispose(tf.grads((a, b, cc) => tf.sum(f(a, b, cc)))([x, w, bias])));
      const names = info.kernels.map((k) => k.name);
      expect(names.filter((n) => n === CONV2D_GRAD)).toHaveLength(1);
      expect(names).not.toContain('Conv2DBackpropInput');
      expect(names).not.toContain('Conv2DBackpropFilter');
      // the loss's own Sum is the only one
      expect(names.filter((n) => n === 'Sum')).toHaveLength(1);
      tf.dispose([x, w, bias]);
    });

    it(`${host}: native gradients match finite differences`, async () => {
      await on(host, true);
      const [x, w, bias] = inputs(CASES[0]);
      expect(directionalGradCheck(f, [x, w, bias], { eps: 1e-2 })).toBeLessThan(1e-2);
      tf.dispose([x, w, bias]);
    });

    it(`${host}: no tensor leaks, forward or backward`, async () => {
      await on(host, true);
      const [x, w, bias] = inputs(CASES[3]);
      expect(leakedTensors(() => tf.tidy(() => f(x, w, bias)).dispose())).toBe(0);
      expect(leakedTensors(() => tf.dispose(tf.grads((a, b, cc) => tf.sum(f(a, b, cc)))([x, w, bias])))).toBe(0);
      tf.dispose([x, w, bias]);
    });

    it(`${host}: bad input to the kernel is a clear error naming it and the shapes`, async () => {
      await on(host, true);
      const x = tf.zeros([1, 4, 4, 3]);
      const w = tf.zeros([3, 3, 3, 2]);
      const dy = tf.zeros([1, 4, 4, 2]);
      const attrs = { strides: [1, 1], pad: 'same', bias: true } as unknown as tf.NamedAttrMap;
      const run = (ins: Record<string, tf.Tensor>) => () => tf.engine().runKernel(CONV2D_GRAD, ins, attrs);
      expect(run({ x: tf.zeros([4, 4, 3]), filter: w, dy })).toThrow(
        /EvdmConv2DGrad: x must have rank 4, got rank 3 \(x \[4,4,3\]/,
      );
      expect(run({ x, filter: tf.zeros([3, 3, 5, 2]), dy })).toThrow(
        /EvdmConv2DGrad: filter input channels \(5\) must equal x's channels \(3\)/,
      );
      expect(run({ x, filter: w, dy: tf.zeros([1, 4, 4, 3]) })).toThrow(
        /EvdmConv2DGrad: dy must have the output shape \[1,4,4,2\]/,
      );
      expect(run({ x: tf.zeros([0, 4, 4, 3]), filter: w, dy: tf.zeros([0, 4, 4, 2]) })).toThrow(/EvdmConv2DGrad: empty tensor/);
      expect(run({ x, filter: w, dy: tf.zeros([1, 4, 4, 2], 'int32') })).toThrow(/EvdmConv2DGrad: dy must be float32, got int32/);
      expect(run({ x, filter: w } as Record<string, tf.Tensor>)).toThrow(/EvdmConv2DGrad: needs x, filter and dy/);
    });
  }
});
