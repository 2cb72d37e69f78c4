/**
 * What every U-Net residual block shares beyond the core builders: the resampling modes, MCVD's
 * shortcut rule, the time-embedding scale/shift, seeded dropout and the input checks at the edge.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense, silu, type BlockContext, type ParamReader } from '@evdm/core';

export type Resample = 'none' | 'up' | 'down';
export const RESAMPLE_MODES: readonly Resample[] = ['none', 'up', 'down'];

/** `Dense(SiLU(temb))`, split into the scale and shift halves `[B, width]` each. */
export function embeddingScaleShift(read: ParamReader, prefix: string, temb: tf.Tensor2D, width: number): [tf.Tensor2D, tf.Tensor2D] {
  const e = dense(read, prefix, silu(temb));
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

/** MCVD's shortcut rule (SPEC §4.3): a 1x1 conv when the widths differ or the block resamples. */
export function needsShortcutConv(inChannels: number, outChannels: number, resample: Resample): boolean {
  return inChannels !== outChannels || resample !== 'none';
}

/** Output spatial size of a block given its input size. */
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
