import * as tf from '@tensorflow/tfjs-core';
import { checkPair, meanPerFrame, toFrames } from './video-shape';

/** `10·log10(dataRange² / mse)`; `Infinity` for identical inputs (mse 0). */
export function psnrFromMse(mse: number, dataRange = 1): number {
  return 10 * Math.log10((dataRange * dataRange) / mse);
}

/**
 * Mean squared error per frame (mean over H·W·C). Accepts `[H,W,C]`, `[T,H,W,C]` or `[B,T,H,W,C]`;
 * returns one value per frame in row-major (video, frame) order.
 */
export function framewiseMse(real: tf.Tensor, fake: tf.Tensor): Float64Array {
  checkPair(real, fake, 'framewiseMse');
  const per = tf.tidy(() => {
    const a = toFrames(real, 'framewiseMse real').frames;
    const b = toFrames(fake, 'framewiseMse fake').frames;
    return meanPerFrame(tf.squaredDifference(a, b) as tf.Tensor4D);
  });
  const out = Float64Array.from(per.dataSync());
  per.dispose();
  return out;
}

/** PSNR of every frame (data range 1). */
export function framewisePsnr(real: tf.Tensor, fake: tf.Tensor): Float64Array {
  return framewiseMse(real, fake).map((m) => psnrFromMse(m));
}

/**
 * PSNR per video from the frame-averaged MSE, as MCVD computes it: `10·log10(1 / mean_t MSE_t)`.
 * This is not the mean of the per-frame PSNRs. `[T,H,W,C]` gives one value, `[B,T,H,W,C]` gives B.
 */
export function videoPsnr(real: tf.Tensor, fake: tf.Tensor): Float64Array {
  const mse = framewiseMse(real, fake);
  const { videos, framesPerVideo } = videoLayout(real.shape);
  const out = new Float64Array(videos);
  for (let v = 0; v < videos; v++) {
    let s = 0;
    for (let t = 0; t < framesPerVideo; t++) s += mse[v * framesPerVideo + t];
    out[v] = psnrFromMse(s / framesPerVideo);
  }
  return out;
}

/** (videos, framesPerVideo) of a `[H,W,C]` / `[T,H,W,C]` / `[B,T,H,W,C]` shape. */
export function videoLayout(shape: number[]): { videos: number; framesPerVideo: number } {
  if (shape.length === 3) return { videos: 1, framesPerVideo: 1 };
  if (shape.length === 4) return { videos: 1, framesPerVideo: shape[0] };
  if (shape.length === 5) return { videos: shape[0], framesPerVideo: shape[1] };
  throw new Error(`expected [H,W,C], [T,H,W,C] or [B,T,H,W,C], got shape [${shape}]`);
}
