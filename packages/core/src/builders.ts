/**
 * Parameter-spec builders and the ops that read them, side by side: a `*Specs(prefix, ...)` names
 * `${prefix}/kernel`, `${prefix}/bias` (or `gamma`, `beta`), and the op of the same name reads them.
 * Layouts as TF: conv kernels `[k, k, cin, cout]`, dense kernels `[in, out]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dSame } from './conv2d';
import { linear } from './linear';
import type { ParamReader, ParamSpec } from './params';

/** Conv kernel `[k, k, cin, cout]` (MCVD default_init(scale)) and zero bias. */
export function convSpecs(prefix: string, k: number, cin: number, cout: number, scale = 1): ParamSpec[] {
  return [
    { name: `${prefix}/kernel`, shape: [k, k, cin, cout], init: { kind: 'varianceScaling', scale } },
    { name: `${prefix}/bias`, shape: [cout], init: { kind: 'zeros' } },
  ];
}

/** Dense kernel `[in, out]` (MCVD default_init(scale)) and zero bias. */
export function denseSpecs(prefix: string, nIn: number, nOut: number, scale = 1): ParamSpec[] {
  return [
    { name: `${prefix}/kernel`, shape: [nIn, nOut], init: { kind: 'varianceScaling', scale } },
    { name: `${prefix}/bias`, shape: [nOut], init: { kind: 'zeros' } },
  ];
}

/** Affine GroupNorm parameters `${prefix}/gamma` (ones) and `${prefix}/beta` (zeros), `[channels]` each. */
export function affineNormSpecs(prefix: string, channels: number): ParamSpec[] {
  return [
    { name: `${prefix}/gamma`, shape: [channels], init: { kind: 'ones' } },
    { name: `${prefix}/beta`, shape: [channels], init: { kind: 'zeros' } },
  ];
}

/**
 * Stride-1 'same' conv plus bias (weights of {@link convSpecs}). One fused kernel: the bias is added
 * inside the conv (oneDNN, XNNPACK) instead of as a full-tensor Add; its gradient is one Sum, or part
 * of the one-call backward kernel where the backend has it (conv2d.ts).
 */
export function conv(read: ParamReader, prefix: string, x: tf.Tensor4D): tf.Tensor4D {
  return conv2dSame(x, read(`${prefix}/kernel`) as tf.Tensor4D, read(`${prefix}/bias`));
}

/** `x·W + b` on `[N, in]` rows (weights of {@link denseSpecs}), the bias fused into the matmul (linear.ts). */
export function dense(read: ParamReader, prefix: string, x: tf.Tensor): tf.Tensor2D {
  return linear(x as tf.Tensor2D, read(`${prefix}/kernel`) as tf.Tensor2D, read(`${prefix}/bias`));
}

/** The `gamma`, `beta` of {@link affineNormSpecs}, typed for `groupNorm`. */
export function affineNorm(read: ParamReader, prefix: string): { gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  return { gamma: read(`${prefix}/gamma`) as tf.Tensor1D, beta: read(`${prefix}/beta`) as tf.Tensor1D };
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}
