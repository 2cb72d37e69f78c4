// linear (@evdm/core) with the native one-call backward kernel EvdmDenseGrad vs tf.fused.matMul (the
// op's path without the kernel), the shared one-call suite (one-call-grad.ts); bad input.
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_GRAD, denseGradKernelAvailable, linear } from '@evdm/core';
import { afterAll, describe } from 'vitest';
import { unregisterNativeKernels } from '../src/index';
import { available, requireAddon } from './helpers';
import { normals, oneCallGradTests } from './one-call-grad';

requireAddon();

describe.skipIf(!available)('linear with the native EvdmDenseGrad vs tf.fused.matMul', () => {
  afterAll(() => unregisterNativeKernels());

  oneCallGradTests({
    kernel: DENSE_GRAD,
    replaced: ['BatchMatMul'],
    available: denseGradKernelAvailable,
    // [rows, in, out]: one row, odd sizes, one output, the temb Linears (8 x 384 -> 192) and an
    // attention projection (2048 tokens of 288 channels)
    cases: [
      [1, 5, 3],
      [7, 13, 1],
      [37, 6, 11],
      [8, 384, 192],
      [2048, 288, 288],
    ],
    label: (c) => `[${c[0]}, ${c[1]}] -> ${c[2]}`,
    inputs: ([rows, nIn, nOut]) =>
      normals([
        [[rows, nIn], 1],
        [[nIn, nOut], 0.3],
        [[nOut], 1],
      ]),
    op: (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b),
    names: ['y', 'dx', 'dkernel', 'dbias'],
    probe: { oneCall: 2, fd: 2, leaks: 3 },
    badInputs: () => {
      const [x, kernel, dy] = [tf.zeros([4, 3]), tf.zeros([3, 2]), tf.zeros([4, 2])];
      return [
        [{ x: tf.zeros([1, 4, 3]), kernel, dy }, /EvdmDenseGrad: x must have rank 2, got rank 3 \(x \[1,4,3\]/],
        [{ x, kernel: tf.zeros([5, 2]), dy }, /EvdmDenseGrad: kernel rows \(5\) must equal x's columns \(3\)/],
        [{ x, kernel, dy: tf.zeros([4, 3]) }, /EvdmDenseGrad: dy must have the output shape \[4,2\]/],
        [{ x: tf.zeros([0, 3]), kernel, dy: tf.zeros([0, 2]) }, /EvdmDenseGrad: empty tensor/],
        [{ x, kernel, dy: tf.zeros([4, 2], 'int32') }, /EvdmDenseGrad: dy must be float32, got int32/],
        [{ x, kernel }, /EvdmDenseGrad: needs x, kernel and dy/],
      ];
    },
  });
});
