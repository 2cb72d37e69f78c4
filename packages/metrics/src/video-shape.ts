import * as tf from '@tensorflow/tfjs-core';

/** Describes how a pair of images/videos was laid out before it was flattened to frames. */
export interface FrameBatch {
  /** Frames as `[N, H, W, C]` with N = B·T. */
  frames: tf.Tensor4D;
  /** Videos in the batch (1 for `[H,W,C]` or `[T,H,W,C]`). */
  videos: number;
  /** Frames per video. */
  framesPerVideo: number;
}

/**
 * Accepts `[H,W,C]` (one image), `[T,H,W,C]` (one video) or `[B,T,H,W,C]` (a batch of videos) and
 * returns a `[B·T, H, W, C]` view. Throws a clear error for any other rank.
 */
export function toFrames(x: tf.Tensor, what: string): FrameBatch {
  const s = x.shape;
  if (s.length === 3) return { frames: tf.reshape(x, [1, s[0], s[1], s[2]]) as tf.Tensor4D, videos: 1, framesPerVideo: 1 };
  if (s.length === 4) return { frames: tf.reshape(x, [s[0], s[1], s[2], s[3]]) as tf.Tensor4D, videos: 1, framesPerVideo: s[0] };
  if (s.length === 5) {
    return { frames: tf.reshape(x, [s[0] * s[1], s[2], s[3], s[4]]) as tf.Tensor4D, videos: s[0], framesPerVideo: s[1] };
  }
  throw new Error(`${what}: expected [H,W,C], [T,H,W,C] or [B,T,H,W,C], got shape [${s}]`);
}

/** Checks that `real` and `fake` have the same shape and a float dtype. */
export function checkPair(real: tf.Tensor, fake: tf.Tensor, fn: string): void {
  if (!(real instanceof tf.Tensor) || !(fake instanceof tf.Tensor)) {
    throw new Error(`${fn}: real and fake must be tf.Tensors`);
  }
  if (real.shape.length !== fake.shape.length || real.shape.some((d, i) => d !== fake.shape[i])) {
    throw new Error(`${fn}: real has shape [${real.shape}] but fake has shape [${fake.shape}]; they must match`);
  }
  if (real.dtype !== 'float32' || fake.dtype !== 'float32') {
    throw new Error(`${fn}: expected float32 tensors with values in [0,1], got ${real.dtype} and ${fake.dtype}`);
  }
}

/**
 * Mean of `[N,H,W,C]` over H, W, C one axis at a time: float32 sums stay short, so backends that
 * reduce sequentially (wasm) keep ~1e-7 relative accuracy instead of ~n·eps.
 */
export function meanPerFrame(x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.mean(tf.mean(x, 3), 2), 1) as tf.Tensor1D);
}
