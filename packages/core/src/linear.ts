/**
 * The builders' dense layer: `x·W + b` on `[N, in]` rows. Where the backend registers DENSE_GRAD
 * (@evdm/backend-native), it is a custom op whose whole backward pass is one kernel call returning
 * dx, dW and db (instead of two BatchMatMuls and a Sum over dy, each its own kernel call), and which
 * saves 2 tensors for it instead of tf.fused.matMul's 4. Elsewhere tf.fused.matMul, the same function
 * (the reference the kernel is tested against).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradKernelOp } from './grad-kernel-op';

/** Inputs `x [N, in], kernel [in, out], dy [N, out]`; outputs `[dx, dKernel, dBias]`. */
export const DENSE_GRAD = 'EvdmDenseGrad';

/** Whether the active backend has the one-call backward kernel. */
export function denseGradKernelAvailable(): boolean {
  return tf.getKernel(DENSE_GRAD, tf.getBackend()) != null;
}

/** `x·kernel + bias` for `x [N, in]`, `kernel [in, out]`, `bias [out]`. */
export function linear(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor): tf.Tensor2D {
  const eligible =
    denseGradKernelAvailable() &&
    x.rank === 2 &&
    kernel.rank === 2 &&
    [x, kernel, bias].every((t) => t.dtype === 'float32') &&
    x.size > 0 &&
    kernel.size > 0;
  if (!eligible) return tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D;
  const forwardAttrs = { transposeA: false, transposeB: false, activation: 'linear' };
  const forward = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => {
    const [n, k] = xi.shape as [number, number];
    const m = wi.shape[1] as number;
    const a = tf.reshape(xi, [1, n, k]);
    const y = tf
      .engine()
      .runKernel('_FusedMatMul', { a, b: tf.reshape(wi, [1, k, m]), bias: bi }, forwardAttrs as unknown as tf.NamedAttrMap);
    return tf.reshape(y as tf.Tensor, [n, m]) as tf.Tensor2D;
  };
  return gradKernelOp([x, kernel, bias], forward, DENSE_GRAD, ['x', 'kernel']);
}
