import * as tf from '@tensorflow/tfjs-core';

/**
 * Identity in the forward pass, zero gradient in the backward pass (TF's `stop_gradient`,
 * torch's `.detach()`). tfjs has no such op; a custom gradient that returns zeros gives it.
 * Used for FAVOR+'s max-subtraction: the subtracted constant cancels in `D^-1(...)`, so no
 * gradient should flow through the max (and tfjs' Max gradient would otherwise be computed).
 */
const zeroGradIdentity = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  // a fresh tensor (not `x` itself) so the tape records a distinct output
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

export function stopGradient<T extends tf.Tensor>(x: T): T {
  return zeroGradIdentity(x) as T;
}
