import * as tf from '@tensorflow/tfjs-core';
import { groupNorm, type GroupNormArgs } from '@evdm/core';

/**
 * `groupNorm(args)[..., start:]` computed from the channels `[start, C)` only, when `start` is a
 * whole number of groups (then those groups see exactly the same statistics): the Split reduce
 * case's bottleneck reads only these channels, so the others need not be normalised at all. The
 * norm reads its window of x and of the coefficients in place (`channelStart`).
 * Returns null when `start` does not fall on a group boundary (the caller normalises everything).
 */
export function groupNormTail(args: GroupNormArgs, start: number): tf.Tensor4D | null {
  const x = args.x as tf.Tensor4D;
  const c = x.shape[x.rank - 1];
  const per = c / args.groups;
  if (x.rank !== 4 || !Number.isInteger(start) || start <= 0 || start >= c || start % per !== 0) return null;
  return groupNorm({ ...args, channelStart: start }) as tf.Tensor4D;
}
