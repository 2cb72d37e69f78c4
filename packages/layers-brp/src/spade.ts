/**
 * MCVD's SPADE normalisation (`MySPADE`, docs/mcvd-reference.md §4.7), used by the UCF-101 baseline:
 * `GN(x)·(1 + γ) + β` with `γ, β = Conv3x3(SiLU(Conv3x3(nearest_resize(cond))))`, GN non-affine,
 * eps 1e-6. Parameters per normalised width `ch`: `(9·cond·hidden + hidden) + 2·(9·hidden·ch + ch)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  conv,
  conv2dMacs,
  convSpecs,
  groupNorm,
  mcvdGroupCount,
  silu,
  type FlopEntry,
  type ParamReader,
  type ParamSpec,
} from '@evdm/core';

export interface SpadeConfig {
  /** channels of the conditioning frames (C · ncond; 12 for UCF-101 4 → 4) */
  condChannels: number;
  /** width of the shared hidden conv (`spade_dim`; 192 in MCVD's UCF run) */
  hiddenChannels: number;
}

export const SPADE_EPS = 1e-6;

export function spadeSpecs(prefix: string, ch: number, cfg: SpadeConfig): ParamSpec[] {
  return [
    ...convSpecs(`${prefix}/shared`, 3, cfg.condChannels, cfg.hiddenChannels),
    ...convSpecs(`${prefix}/gamma`, 3, cfg.hiddenChannels, ch),
    ...convSpecs(`${prefix}/beta`, 3, cfg.hiddenChannels, ch),
  ];
}

/** `GN(x)·(1+γ)+β` (no activation; the caller adds the time modulation and SiLU). */
export function spadeNorm(read: ParamReader, prefix: string, x: tf.Tensor4D, cond: tf.Tensor4D): tf.Tensor4D {
  const [, h, w, ch] = x.shape;
  const n = groupNorm({ x, groups: mcvdGroupCount(ch), eps: SPADE_EPS }) as tf.Tensor4D;
  // torch legacy 'nearest' = top-left source pixel = TF alignCorners=false, halfPixelCenters=false
  const seg = h === cond.shape[1] && w === cond.shape[2] ? cond : tf.image.resizeNearestNeighbor(cond, [h, w], false, false);
  const a = silu(conv(read, `${prefix}/shared`, seg));
  const gamma = conv(read, `${prefix}/gamma`, a);
  const beta = conv(read, `${prefix}/beta`, a);
  return tf.add(tf.mul(n, tf.add(gamma, 1)), beta);
}

/** fvcore counts: nearest resize 1 per output element, 3 convs, GN 4N (non-affine). */
export function spadeFlops(prefix: string, batch: number, h: number, w: number, ch: number, cfg: SpadeConfig): FlopEntry[] {
  return [
    { name: `${prefix}/resize`, kind: 'other', flops: batch * h * w * cfg.condChannels },
    { name: `${prefix}/shared`, kind: 'conv', flops: conv2dMacs(batch, h, w, cfg.condChannels, cfg.hiddenChannels, 3) },
    { name: `${prefix}/gamma`, kind: 'conv', flops: conv2dMacs(batch, h, w, cfg.hiddenChannels, ch, 3) },
    { name: `${prefix}/beta`, kind: 'conv', flops: conv2dMacs(batch, h, w, cfg.hiddenChannels, ch, 3) },
  ];
}
