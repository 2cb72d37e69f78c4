import * as tf from '@tensorflow/tfjs-core';
import { groupNorm, type GroupNormArgs } from '@evdm/core';
import { channelTail } from './brp-channel-ops';

/**
 * `groupNorm(args)[..., start:]` computed from the channels `[start, C)` only, when `start` is a
 * whole number of groups (then those groups see exactly the same statistics): the Split reduce
 * case's bottleneck reads only these channels, so the others need not be normalised at all.
 * Returns null when `start` does not fall on a group boundary (the caller normalises everything).
 */
export function groupNormTail(args: GroupNormArgs, start: number): tf.Tensor4D | null {
  const x = args.x as tf.Tensor4D;
  const c = x.shape[x.rank - 1];
  const per = c / args.groups;
  if (x.rank !== 4 || !Number.isInteger(start) || start <= 0 || start >= c || start % per !== 0) return null;
  const take = (t: tf.Tensor2D, from: number) => tf.slice(t, [0, from], [t.shape[0], c - start]);
  const take1 = (t: tf.Tensor1D) => tf.slice(t, [start], [c - start]);
  const { modulation, scale, shift, gamma, beta } = args;
  return groupNorm({
    x: channelTail(x, start),
    groups: args.groups - start / per,
    eps: args.eps,
    activation: args.activation,
    ...(gamma ? { gamma: take1(gamma) } : {}),
    ...(beta ? { beta: take1(beta) } : {}),
    ...(modulation ? { scale: take(modulation, start), shift: take(modulation, c + start) } : {}),
    ...(scale ? { scale: take(scale, start) } : {}),
    ...(shift ? { shift: take(shift, start) } : {}),
  }) as tf.Tensor4D;
}
