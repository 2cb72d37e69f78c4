/**
 * The grouped convolution as one op with its gradients, on the `EvdmGroupedConv2D*` kernels that
 * @evdm/backend-native registers (oneDNN grouped / depthwise convolution). This package does not
 * depend on that one: callers check `nativeGroupedConvAvailable()` for the active backend and keep
 * their composed pure-TF.js path otherwise.
 *
 * Layouts: x NHWC, filter grouped HWIO `[KH, KW, C/groups, OC]`, pad `[top, bottom, left, right]`.
 */
import * as tf from '@tensorflow/tfjs-core';

const KERNELS = ['EvdmGroupedConv2D', 'EvdmGroupedConv2DBackpropInput', 'EvdmGroupedConv2DBackpropFilter'] as const;

export interface GroupedConvGeometry {
  strides: [number, number];
  pad: [number, number, number, number];
  groups: number;
}

/** Whether the active backend has the native grouped convolution kernels. */
export function nativeGroupedConvAvailable(): boolean {
  const b = tf.getBackend();
  return KERNELS.every((k) => tf.getKernel(k, b) != null);
}

const attrsOf = (g: GroupedConvGeometry, extra: Record<string, unknown> = {}) =>
  ({ ...g, ...extra }) as unknown as tf.NamedAttrMap;

function forwardKernel(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | null, g: GroupedConvGeometry): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf.engine().runKernel(KERNELS[0], inputs, attrsOf(g)) as tf.Tensor4D;
}

function backpropInputKernel(dy: tf.Tensor, filter: tf.Tensor, inputShape: number[], g: GroupedConvGeometry): tf.Tensor4D {
  return tf.engine().runKernel(KERNELS[1], { dy, filter }, attrsOf(g, { inputShape })) as tf.Tensor4D;
}

/**
 * `conv_groups(x, filter) + bias` in one native op, differentiable in x, filter and bias (one
 * backward-data and one backward-weights kernel, the bias gradient comes with the weights').
 */
export function nativeGroupedConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  g: GroupedConvGeometry,
): tf.Tensor4D {
  const filterShape = [...filter.shape];
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, wi, bi] = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([xi, wi]);
    return {
      value: forwardKernel(xi, wi, bi ?? null, g),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved;
        const d = dy as tf.Tensor;
        const dx = backpropInputKernel(d, ws, [...xs.shape], g);
        const dwb = tf
          .engine()
          .runKernel(KERNELS[2], { x: xs, dy: d }, attrsOf(g, { filterShape, bias: bias != null })) as tf.Tensor[];
        return [dx, ...dwb];
      },
    };
  });
  const run = f as unknown as (...t: tf.Tensor[]) => tf.Tensor4D;
  return bias ? run(x, filter, bias) : run(x, filter);
}

/**
 * A linear map with a constant filter: `conv` (mode 'conv') or its adjoint `convᵀ` (mode
 * 'transpose', output shape `outShape`), differentiable in x only (the gradient is the other one).
 */
export function nativeFixedFilterConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: GroupedConvGeometry,
  mode: 'conv' | 'transpose',
  outShape?: number[],
): tf.Tensor4D {
  const inShape = [...x.shape];
  const f = tf.customGrad((...args: unknown[]) => {
    const xi = args[0] as tf.Tensor;
    // saved (kept by the tape) so the filter outlives the caller's tidy until the backward pass
    (args[1] as tf.GradSaveFunc)([filter]);
    const value = mode === 'conv' ? forwardKernel(xi, filter, null, g) : backpropInputKernel(xi, filter, outShape as number[], g);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [w]: tf.Tensor[]) =>
        mode === 'conv' ? backpropInputKernel(dy as tf.Tensor, w, inShape, g) : forwardKernel(dy as tf.Tensor, w, null, g),
    };
  });
  return (f as unknown as (t: tf.Tensor) => tf.Tensor4D)(x);
}
