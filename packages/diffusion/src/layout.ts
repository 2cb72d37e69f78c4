/**
 * MCVD's conditioning layout (docs/mcvd-reference.md §2): frames are stacked into the channel axis frame-major,
 * channel = frame·C + c, on NHWC tensors.
 */
import * as tf from '@tensorflow/tfjs-core';

/** [B, T, H, W, C] → [B, H, W, T·C] with channel index frame·C + c. */
export function stackFrames(x: tf.Tensor5D): tf.Tensor4D {
  if (!x || x.rank !== 5) throw new Error(`stackFrames: expected a [B, T, H, W, C] tensor, got shape [${x?.shape}]`);
  const [b, t, h, w, c] = x.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 3, 1, 4]), [b, h, w, t * c]));
}

/** Inverse of `stackFrames`: [B, H, W, frames·C] → [B, frames, H, W, C]. */
export function unstackFrames(x: tf.Tensor4D, frames: number): tf.Tensor5D {
  if (!x || x.rank !== 4) throw new Error(`unstackFrames: expected a [B, H, W, frames*C] tensor, got shape [${x?.shape}]`);
  const [b, h, w, ch] = x.shape;
  if (!Number.isInteger(frames) || frames < 1 || ch % frames !== 0) {
    throw new Error(`unstackFrames: frames must be a positive integer dividing the ${ch} channels, got ${frames}`);
  }
  return tf.tidy(() => tf.transpose(tf.reshape(x, [b, h, w, frames, ch / frames]), [0, 3, 1, 2, 4]));
}
