/**
 * The BRP's channel plumbing (paper §3.4 Split and SO) in two interchangeable forms:
 * - 'fused' (default): each step is ONE channelGather (@evdm/core; a native kernel where the
 *   backend registers it): the Split procedure's output `shuffle2(concat[p3, p1, direct])` reads the
 *   direct channels straight from the procedure input, the reduce case's bottleneck input is a
 *   gather of its channel range, and the block output `(shuffle_g(shortcut) + h)·√½` is one
 *   gather with an addend and a scale.
 * - 'composed': the literal slice / concat / channel-shuffle / add / multiply ops (the reference).
 * Both compute the same function of the same parameters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { channelGather } from '@evdm/core';
import { cachedPerm, channelShuffle, channelShufflePerm } from './grouped-conv';

export type BrpChannelOps = 'fused' | 'composed';
export const BRP_CHANNEL_OPS: readonly BrpChannelOps[] = ['fused', 'composed'];

let mode: BrpChannelOps = 'fused';

/** Chooses how BRP blocks run their channel split / concat / shuffle / residual (same results). */
export function setBrpChannelOps(m: BrpChannelOps): void {
  if (!BRP_CHANNEL_OPS.includes(m))
    throw new Error(`setBrpChannelOps: unknown mode ${JSON.stringify(m)} (use ${BRP_CHANNEL_OPS.join(', ')})`);
  mode = m;
}

export function getBrpChannelOps(): BrpChannelOps {
  return mode;
}

/**
 * Channel order of a Split procedure's output over the concatenation `[p3, p1, input]`:
 * ShuffleNet's 2-group shuffle of `[p3, p1, input[..., :direct]]` (the input's first `direct`
 * channels follow the two paths, so their concatenated index is already right).
 */
export function splitOutputPerm(pathOut: number, direct: number, groups: number): number[] {
  return channelShufflePerm(2 * pathOut + direct, groups);
}

/** A Split procedure's output before it is written: `shuffle_groups(concat[p3, p1, input[..., :direct]])`. */
export interface SplitOutputParts {
  p3: tf.Tensor4D;
  p1: tf.Tensor4D;
  input: tf.Tensor4D;
  direct: number;
  groups: number;
}

/** `shuffle_groups(concat[p3, p1, input[..., :direct]])`. */
export function splitProcedureOutput({ p3, p1, input, direct, groups }: SplitOutputParts): tf.Tensor4D {
  if (mode === 'fused') return channelGather({ inputs: [p3, p1, input], perm: splitOutputPerm(p3.shape[3], direct, groups) });
  const [b, h, w, c] = input.shape;
  const d = direct === c ? input : tf.slice(input, [0, 0, 0, 0], [b, h, w, direct]);
  return channelShuffle(tf.concat([p3, p1, d], 3), groups);
}

/** The channels `[start, C)` of `y` (the reduce case's bottleneck input). */
export function channelTail(y: tf.Tensor4D, start: number): tf.Tensor4D {
  const [b, h, w, c] = y.shape;
  if (mode === 'fused')
    return channelGather({ inputs: [y], perm: cachedPerm(`range ${start}:${c}`, c - start, (j) => start + j) });
  return tf.slice(y, [0, 0, 0, start], [b, h, w, c - start]);
}

/**
 * The block output `(shuffle_groups(skip) + h)·√½` (groups 1: no shuffle). Given `h` as a Split
 * procedure's parts, 'fused' reads them in place: one gather with two perms, `h` never written.
 */
export function residualOutput(skip: tf.Tensor4D, h: tf.Tensor4D | SplitOutputParts, groups: number): tf.Tensor4D {
  if (mode === 'fused') {
    const perm = channelShufflePerm(skip.shape[3], groups);
    if (!('p3' in h)) return channelGather({ inputs: [skip], perm, addend: h, scale: Math.SQRT1_2 });
    const c = skip.shape[3];
    const split = splitOutputPerm(h.p3.shape[3], h.direct, h.groups);
    // the split perm numbers [p3, p1, input] from 0; here they follow the skip's c channels
    const addPerm = cachedPerm(`split ${h.p3.shape[3]}/${h.direct}/${h.groups} after ${c}`, split.length, (j) => c + split[j]);
    return channelGather({ inputs: [skip, h.p3, h.p1, h.input], perm, addPerm, scale: Math.SQRT1_2 });
  }
  const hh = 'p3' in h ? splitProcedureOutput(h) : h;
  const s = groups > 1 ? channelShuffle(skip, groups) : skip;
  return tf.mul(tf.add(s, hh), Math.SQRT1_2);
}
