/** Parameter-spec builders and small ops shared by the blocks. */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamReader, ParamSpec } from '@evdm/core';

export type Resample = 'none' | 'up' | 'down';
export const RESAMPLE_MODES: readonly Resample[] = ['none', 'up', 'down'];

/** Per-call inputs of a block besides `x`. */
export interface BlockContext {
  /** Time embedding `[B, T]` as produced by the time MLP (before SiLU; blocks apply SiLU themselves). */
  temb: tf.Tensor2D;
  /** SPADE only: the conditioning frames `[B, Hc, Wc, condChannels]` (resized per norm, nearest). */
  cond?: tf.Tensor4D;
  /** Dropout is active only when true. */
  training?: boolean;
  /** Seed of the dropout mask; required when `training` and dropout > 0 (determinism). */
  seed?: number;
}

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

/** Stride-1 'same' conv plus bias. */
export function conv(read: ParamReader, prefix: string, x: tf.Tensor4D): tf.Tensor4D {
  return tf.add(tf.conv2d(x, read(`${prefix}/kernel`) as tf.Tensor4D, 1, 'same'), read(`${prefix}/bias`));
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

/** `Dense(SiLU(temb))`, split into the scale and shift halves `[B, width]` each. */
export function embeddingScaleShift(read: ParamReader, prefix: string, temb: tf.Tensor2D, width: number): [tf.Tensor2D, tf.Tensor2D] {
  const e = tf.add(tf.matMul(silu(temb), read(`${prefix}/kernel`) as tf.Tensor2D), read(`${prefix}/bias`)) as tf.Tensor2D;
  const b = temb.shape[0];
  return [tf.slice(e, [0, 0], [b, width]), tf.slice(e, [0, width], [b, width])];
}

/** Seeded dropout; identity unless training with rate > 0. */
export function seededDropout(owner: string, x: tf.Tensor4D, rate: number, ctx: BlockContext): tf.Tensor4D {
  if (!ctx.training || rate === 0) return x;
  if (ctx.seed === undefined || !Number.isFinite(ctx.seed)) {
    throw new Error(`${owner}: training with dropout ${rate} needs ctx.seed (a number) so the mask is reproducible`);
  }
  return tf.dropout(x, rate, undefined, ctx.seed) as tf.Tensor4D;
}

/** Output spatial size of a block given its input size. */
/** MCVD's shortcut rule (docs/mcvd-reference.md §4.3): a 1x1 conv when the widths differ or the block resamples. */
export function needsShortcutConv(inChannels: number, outChannels: number, resample: Resample): boolean {
  return inChannels !== outChannels || resample !== 'none';
}

export function resampledSize(resample: Resample, h: number, w: number): [number, number] {
  if (resample === 'down') return [h / 2, w / 2];
  if (resample === 'up') return [h * 2, w * 2];
  return [h, w];
}

/** Validates `x` and `temb` at the edge so tfjs never fails deep inside a block. */
export function checkInputs(owner: string, x: tf.Tensor, inChannels: number, tembChannels: number, resample: Resample, ctx: BlockContext | undefined): void {
  if (!x || x.rank !== 4) throw new Error(`${owner}: x must be NHWC [B, H, W, C], got shape [${x?.shape}]`);
  if (x.shape[3] !== inChannels) throw new Error(`${owner}: x has ${x.shape[3]} channels, expected inChannels = ${inChannels}`);
  if (resample === 'down' && ((x.shape[1] ?? 0) % 2 !== 0 || (x.shape[2] ?? 0) % 2 !== 0)) {
    throw new Error(`${owner}: down-sampling needs even height and width, got ${x.shape[1]}x${x.shape[2]}`);
  }
  const temb = ctx?.temb;
  if (!temb || temb.rank !== 2 || temb.shape[0] !== x.shape[0] || temb.shape[1] !== tembChannels) {
    throw new Error(`${owner}: ctx.temb must have shape [${x.shape[0]}, ${tembChannels}], got [${temb?.shape}]`);
  }
}
