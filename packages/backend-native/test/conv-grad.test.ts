// conv2dSame (@evdm/core) with the native one-call backward kernel EvdmConv2DGrad vs tf.fused.conv2d
// (the op's path without the kernel): the shared one-call suite (one-call-grad.ts).
import * as tf from '@tensorflow/tfjs-core';
import { CONV2D_GRAD, conv2dGradKernelAvailable, conv2dSame } from '@evdm/core';
import { afterAll, describe } from 'vitest';
import { unregisterNativeKernels } from '../src/index';
import { available, requireAddon } from './helpers';
import { normals, oneCallGradTests } from './one-call-grad';

requireAddon();

describe.skipIf(!available)('conv2dSame with the native EvdmConv2DGrad vs tf.fused.conv2d', () => {
  afterAll(() => unregisterNativeKernels());

  oneCallGradTests({
    kernel: CONV2D_GRAD,
    replaced: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'],
    available: conv2dGradKernelAvailable,
    // [batch, height, width, cin, cout, kernel]: odd sizes, batch 1, a 1x1 image, one output channel,
    // 1x1 and 3x3 kernels, and EVDM-L's thin 3x3 paths
    cases: [
      [1, 5, 7, 3, 4, 3],
      [3, 4, 4, 5, 1, 1],
      [1, 1, 1, 2, 3, 3],
      [2, 9, 6, 12, 24, 3],
      [2, 16, 16, 24, 48, 3],
      [2, 8, 8, 48, 12, 1],
    ],
    label: (c) => `[${c.slice(0, 4)}] -> ${c[4]}, ${c[5]}x${c[5]}`,
    inputs: ([b, h, w, cin, cout, k]) =>
      normals([
        [[b, h, w, cin], 1],
        [[k, k, cin, cout], 0.5],
        [[cout], 1],
      ]),
    op: (x, w, bias) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D, bias),
    names: ['y', 'dx', 'dfilter', 'dbias'],
    probe: { oneCall: 3, fd: 0, leaks: 3 },
    attrs: { strides: [1, 1], pad: 'same', bias: true },
    badInputs: () => {
      const [x, filter, dy] = [tf.zeros([1, 4, 4, 3]), tf.zeros([3, 3, 3, 2]), tf.zeros([1, 4, 4, 2])];
      return [
        [{ x: tf.zeros([4, 4, 3]), filter, dy }, /EvdmConv2DGrad: x must have rank 4, got rank 3 \(x \[4,4,3\]/],
        [{ x, filter: tf.zeros([3, 3, 5, 2]), dy }, /EvdmConv2DGrad: filter input channels \(5\) must equal x's channels \(3\)/],
        [{ x, filter, dy: tf.zeros([1, 4, 4, 3]) }, /EvdmConv2DGrad: dy must have the output shape \[1,4,4,2\]/],
        [{ x: tf.zeros([0, 4, 4, 3]), filter, dy: tf.zeros([0, 4, 4, 2]) }, /EvdmConv2DGrad: empty tensor/],
        [{ x, filter, dy: tf.zeros([1, 4, 4, 2], 'int32') }, /EvdmConv2DGrad: dy must be float32, got int32/],
        [{ x, filter }, /EvdmConv2DGrad: needs x, filter and dy/],
      ];
    },
  });
});
