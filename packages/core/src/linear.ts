/**
 * The builders' dense layer: `x·W + b` on `[N, in]` rows. Where the backend registers DENSE_GRAD
 * (@evdm/backend-native), it is a custom op whose whole backward pass is one kernel call returning
 * dx, dW and db (instead of two BatchMatMuls and a Sum over dy, each its own kernel call), and which
 * saves 2 tensors for it instead of tf.fused.matMul's 4. Elsewhere tf.fused.matMul, the same function
 * (the reference the kernel is tested against).
 */
import * as tf from '@tensorflow/tfjs-core';

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
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, wi, bi] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [n, k] = xi.shape;
    const y3 = tf
      .engine()
      .runKernel(
        '_FusedMatMul',
        { a: tf.reshape(xi, [1, n, k]), b: tf.reshape(wi, [1, k, wi.shape[1]]), bias: bi },
        forwardAttrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
    save([xi, wi]);
    return {
      value: tf.reshape(y3, [n, wi.shape[1]]) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(DENSE_GRAD, { x: saved[0], kernel: saved[1], dy: dy as tf.Tensor }) as tf.Tensor[],
    };
  });
  return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor2D)(x, kernel, bias);
}
