// The fused native GroupNorm as an @evdm/core GroupNorm implementation (setGroupNormImplementation):
// one kernel forward, one kernel backward (tf.customGrad), differentiable in x, gamma, beta, scale,
// shift, modulation. Falls back to the composed tfjs reference where the native kernel is not registered.
import * as tf from '@tensorflow/tfjs-core';
import { groupNormComposed, type GroupNormArgs } from '@evdm/core';

// modulation (packed [B, 2C] scale and shift) is never given with scale / shift (validateGroupNorm)
const OPTIONAL = ['gamma', 'beta', 'scale', 'shift', 'modulation'] as const;
/** Activation codes of the EvdmGroupNorm kernels (native/group_norm.cc). */
const GN_ACTIVATIONS = { none: 0, silu: 1, relu: 2 } as const;

/** Whether the active backend has the native GroupNorm kernels. */
export function nativeGroupNormAvailable(): boolean {
  const b = tf.getBackend();
  return tf.getKernel('EvdmGroupNorm', b) != null && tf.getKernel('EvdmGroupNormGrad', b) != null;
}

/**
 * `y = act(((GN(x) · gamma + beta) · (1 + scale)) + shift)` in one native pass (see GroupNormArgs
 * in @evdm/core); same function as groupNormComposed. Arguments are assumed validated (groupNorm()
 * validates before calling an implementation).
 */
export function fusedGroupNorm(args: GroupNormArgs): tf.Tensor {
  const present = OPTIONAL.filter((k) => args[k] !== undefined);
  const tensors = [args.x, ...present.map((k) => args[k] as tf.Tensor)];
  if (!nativeGroupNormAvailable() || tensors.some((t) => t.dtype !== 'float32') || args.x.size === 0)
    return groupNormComposed(args);
  const attrs = {
    groups: args.groups,
    eps: args.eps,
    activation: GN_ACTIVATIONS[args.activation ?? 'none'],
    channelStart: args.channelStart ?? 0,
  };
  const named = (list: tf.Tensor[]) => {
    const m: Record<string, tf.Tensor> = { x: list[0] };
    present.forEach((k, i) => (m[k] = list[i + 1]));
    return m;
  };
  const f = tf.customGrad((...inputs: unknown[]) => {
    const list = inputs.slice(0, -1) as tf.Tensor[];
    const save = inputs[inputs.length - 1] as tf.GradSaveFunc;
    const y = tf
      .engine()
      .runKernel('EvdmGroupNorm', named(list) as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    save(list);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const ins = { dy: dy as tf.Tensor, ...named(saved) };
        return tf
          .engine()
          .runKernel(
            'EvdmGroupNormGrad',
            ins as unknown as tf.NamedTensorMap,
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
      },
    };
  });
  return (f as unknown as (...t: tf.Tensor[]) => tf.Tensor)(...tensors);
}
