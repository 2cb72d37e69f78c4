// linear (@evdm/core) with the native one-call backward kernel EvdmDenseGrad vs tf.fused.matMul (the
// op's path without the kernel): output and the x, kernel, bias gradients on both hosts; finite
// differences; that the kernel replaces the two BatchMatMuls and the bias Sum; leaks; bad input.
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { DENSE_GRAD, denseGradKernelAvailable, linear } from '@evdm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { directionalGradCheck, leakedTensors } from '../../../test-utils/tf';
import { unregisterNativeKernels } from '../src/index';
import { available, HOSTS, relErr, requireAddon, TOL, useHost as on } from './helpers';

requireAddon();

// [rows, in, out]: one row, odd sizes, one output, the temb Linears (8 x 384 -> 192) and an
// attention projection (2048 tokens of 288 channels)
const CASES = [
  [1, 5, 3],
  [7, 13, 1],
  [37, 6, 11],
  [8, 384, 192],
  [2048, 288, 288],
];

function inputs([rows, nIn, nOut]: number[]): tf.Tensor[] {
  return [
    tf.randomNormal([rows, nIn], 0, 1, 'float32', 1),
    tf.randomNormal([nIn, nOut], 0, 0.3, 'float32', 2),
    tf.randomNormal([nOut], 0, 1, 'float32', 3),
  ];
}

const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b);

/** Output and the gradients of sum(linear · dy) in x, kernel, bias. */
function run(c: number[]): Float32Array[] {
  const [x, w, b] = inputs(c);
  const y = f(x, w, b);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
  const grads = tf.grads((a, bb, cc) => tf.sum(tf.mul(f(a, bb, cc), dy)))([x, w, b]);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([x, w, b, y, dy, ...grads]);
  return out;
}

describe.skipIf(!available)('linear with the native EvdmDenseGrad vs tf.fused.matMul', () => {
  afterAll(() => unregisterNativeKernels());

  for (const host of HOSTS) {
    for (const c of CASES) {
      it(`${host}: [${c[0]}, ${c[1]}] -> ${c[2]}: output and the x, kernel, bias gradients`, async () => {
        await on(host, false);
        if (host === 'wasm') registerWasmTrainingKernels();
        expect(denseGradKernelAvailable()).toBe(false);
        const want = run(c);
        await on(host, true);
        expect(denseGradKernelAvailable()).toBe(true);
        const got = run(c);
        ['y', 'dx', 'dkernel', 'dbias'].forEach((name, i) => {
          const e = relErr(got[i], want[i]);
          expect(e, `${name}: rel L2 ${e}`).toBeLessThan(TOL);
        });
      });
    }

    it(`${host}: the backward pass is one EvdmDenseGrad call (no BatchMatMul, no bias Sum)`, async () => {
      await on(host, true);
      const [x, w, b] = inputs(CASES[2]);
      const info = await tf.profile(() => tf.dispose(tf.grads((a, bb, cc) => tf.sum(f(a, bb, cc)))([x, w, b])));
      const names = info.kernels.map((k) => k.name);
      expect(names.filter((n) => n === DENSE_GRAD)).toHaveLength(1);
      expect(names).not.toContain('BatchMatMul');
      // the loss's own Sum is the only one
      expect(names.filter((n) => n === 'Sum')).toHaveLength(1);
      tf.dispose([x, w, b]);
    });

    it(`${host}: native gradients match finite differences`, async () => {
      await on(host, true);
      const [x, w, b] = inputs(CASES[2]);
      expect(directionalGradCheck(f, [x, w, b], { eps: 1e-2 })).toBeLessThan(1e-2);
      tf.dispose([x, w, b]);
    });

    it(`${host}: no tensor leaks, forward or backward`, async () => {
      await on(host, true);
      const [x, w, b] = inputs(CASES[3]);
      expect(leakedTensors(() => tf.tidy(() => f(x, w, b)).dispose())).toBe(0);
      expect(leakedTensors(() => tf.dispose(tf.grads((a, bb, cc) => tf.sum(f(a, bb, cc)))([x, w, b])))).toBe(0);
      tf.dispose([x, w, b]);
    });

    it(`${host}: bad input to the kernel is a clear error naming it and the shapes`, async () => {
      await on(host, true);
      const x = tf.zeros([4, 3]);
      const w = tf.zeros([3, 2]);
      const dy = tf.zeros([4, 2]);
      const run = (ins: Record<string, tf.Tensor>) => () => tf.engine().runKernel(DENSE_GRAD, ins);
      expect(run({ x: tf.zeros([1, 4, 3]), kernel: w, dy })).toThrow(
        /EvdmDenseGrad: x must have rank 2, got rank 3 \(x \[1,4,3\]/,
      );
      expect(run({ x, kernel: tf.zeros([5, 2]), dy })).toThrow(/EvdmDenseGrad: kernel rows \(5\) must equal x's columns \(3\)/);
      expect(run({ x, kernel: w, dy: tf.zeros([4, 3]) })).toThrow(/EvdmDenseGrad: dy must have the output shape \[4,2\]/);
      expect(run({ x: tf.zeros([0, 3]), kernel: w, dy: tf.zeros([0, 2]) })).toThrow(/EvdmDenseGrad: empty tensor/);
      expect(run({ x, kernel: w, dy: tf.zeros([4, 2], 'int32') })).toThrow(/EvdmDenseGrad: dy must be float32, got int32/);
      expect(run({ x, kernel: w } as Record<string, tf.Tensor>)).toThrow(/EvdmDenseGrad: needs x, kernel and dy/);
    });
  }
});
