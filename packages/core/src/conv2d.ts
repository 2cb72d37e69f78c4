/**
 * The builders' convolution: 2-D, NHWC, stride 1, 'same' padding, with bias. Where the backend
 * registers CONV2D_GRAD (@evdm/backend-native), it is a custom op whose whole backward pass is one
 * kernel call returning dx, dW and db (oneDNN reduces the bias gradient inside the weight-gradient
 * pass, so no separate `Sum` over dy), and which saves 2 tensors for it instead of tf.fused.conv2d's 4.
 * Elsewhere tf.fused.conv2d, the same function (the reference the kernel is tested against).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradKernelOp } from './grad-kernel-op';

/** Inputs `x, filter, dy`; outputs `[dx, dFilter]`, or `[dx, dFilter, dBias]` when `attrs.bias`. */
export const CONV2D_GRAD = 'EvdmConv2DGrad';

export interface Conv2DGradAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
  /** Whether the forward pass added a bias (then its gradient is the third output). */
  bias: boolean;
}

/** Whether the active backend has the one-call backward kernel. */
export function conv2dGradKernelAvailable(): boolean {
  return tf.getKernel(CONV2D_GRAD, tf.getBackend()) != null;
}

/** `conv2d(x, filter, stride 1, 'same') + bias`; filter HWIO `[kh, kw, cin, cout]`, bias `[cout]`. */
export function conv2dSame(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const eligible =
    conv2dGradKernelAvailable() && [x, filter, bias].every((t) => t.dtype === 'float32') && x.size > 0 && filter.size > 0;
  if (!eligible) return tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same' });
  const forwardAttrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear' };
  const gradAttrs: Conv2DGradAttrs = { strides: [1, 1], pad: 'same', bias: true };
  const forward = (xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor) =>
    tf
      .engine()
      .runKernel('FusedConv2D', { x: xi, filter: fi, bias: bi }, forwardAttrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return gradKernelOp([x, filter, bias], forward, CONV2D_GRAD, ['x', 'filter'], gradAttrs);
}
