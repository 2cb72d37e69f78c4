/**
 * The custom-op shape shared by the builders' conv and dense (conv2d.ts, linear.ts): a forward pass run
 * as kernels directly (inside tf.customGrad nothing it runs is taped), whose whole backward pass is one
 * call of a gradient kernel on the saved inputs and dy, returning one gradient per input.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `forward(...inputs)` differentiable through `gradKernel`: it receives the first `saved.length` inputs
 * under the names in `saved`, plus `dy`, and `attrs`.
 */
export function gradKernelOp<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  forward: (...xs: tf.Tensor[]) => T,
  gradKernel: string,
  saved: string[],
  attrs: object = {},
): T {
  const op = tf.customGrad((...args: unknown[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    (args[inputs.length] as tf.GradSaveFunc)(xs.slice(0, saved.length));
    return {
      value: forward(...xs),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], kept: tf.Tensor[]) => {
        const named: tf.NamedTensorMap = { dy: dy as tf.Tensor };
        saved.forEach((name, i) => (named[name] = kept[i]));
        return tf.engine().runKernel(gradKernel, named, attrs as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  return (op as unknown as (...t: tf.Tensor[]) => T)(...inputs);
}
