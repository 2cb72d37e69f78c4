import * as tf from '@tensorflow/tfjs-core';
import { checkPair, meanPerFrame, toFrames } from './video-shape';

/**
 * `gaussian`: Wang et al. (2004): 11-tap Gaussian, σ = 1.5, population (co)variances.
 * `uniform7`: scikit-image's default: 7×7 box window, sample (co)variances (× 49/48).
 */
export type SsimWindow = 'gaussian' | 'uniform7';

/**
 * `rgb-mean`: SSIM per channel, then the mean over channels (skimage `channel_axis=-1`).
 * `mcvd-luma-uint8`: MCVD's evaluation: every frame is cast to uint8 by truncation (`x·255` then
 * floor, as torchvision's `ToPILImage` does), converted to PIL luminance `L` (integer
 * `(19595 R + 38470 G + 7471 B + 32768) >> 16`, i.e. 0.299/0.587/0.114), then SSIM on that one channel.
 */
export type SsimConvention = 'rgb-mean' | 'mcvd-luma-uint8';

export interface SsimOptions {
  /** Default `'gaussian'`. */
  window?: SsimWindow;
  /** Default `'rgb-mean'`. */
  convention?: SsimConvention;
  /** Stabiliser constants; defaults 0.01 and 0.03 (data range 1). */
  k1?: number;
  k2?: number;
}

/** Taps of the 1-D Gaussian window: σ 1.5, truncated at 3.5σ (radius 5) as scipy does, sum 1. */
export function gaussianTaps(sigma = 1.5, truncate = 3.5): Float64Array {
  const r = Math.floor(truncate * sigma + 0.5);
  const taps = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) {
    taps[k + r] = Math.exp((-0.5 * k * k) / (sigma * sigma));
    sum += taps[k + r];
  }
  return taps.map((v) => v / sum);
}

interface WindowSpec {
  taps: Float64Array;
  /** Multiplies variances/covariance: 1 for population, n/(n-1) for sample covariance. */
  covNorm: number;
}

function windowSpec(window: SsimWindow): WindowSpec {
  if (window === 'gaussian') return { taps: gaussianTaps(), covNorm: 1 };
  if (window === 'uniform7') return { taps: new Float64Array(7).fill(1 / 7), covNorm: 49 / 48 };
  throw new Error(`ssim: unknown window "${String(window)}" (use 'gaussian' or 'uniform7')`);
}

/** MCVD's uint8 luminance in [0,1], `[N,H,W,1]`. Exact in float32 (every intermediate < 2^24). */
export function mcvdLumaUint8(frames: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const c = frames.shape[3];
    const u8 = tf.floor(tf.mul(tf.clipByValue(frames, 0, 1), 255));
    if (c === 1) return tf.div(u8, 255) as tf.Tensor4D;
    if (c !== 3) throw new Error(`ssim: the mcvd-luma-uint8 convention needs 1 or 3 channels, got ${c}`);
    const w = tf.tensor1d([19595, 38470, 7471]);
    const l24 = tf.add(tf.sum(tf.mul(u8, w), 3, true), 32768);
    return tf.div(tf.floor(tf.div(l24, 65536)), 255) as tf.Tensor4D;
  });
}

/**
 * SSIM of every frame pair. Inputs `[H,W,C]`, `[T,H,W,C]` or `[B,T,H,W,C]` in [0,1] (data range 1);
 * the map is the *valid* (unpadded) windowed map, averaged, which equals skimage's cropped mean.
 * Returns one value per frame, (video, frame) row-major.
 */
export function framewiseSsim(real: tf.Tensor, fake: tf.Tensor, options: SsimOptions = {}): Float64Array {
  checkPair(real, fake, 'ssim');
  const { window = 'gaussian', convention = 'rgb-mean', k1 = 0.01, k2 = 0.03 } = options;
  if (convention !== 'rgb-mean' && convention !== 'mcvd-luma-uint8') {
    throw new Error(`ssim: unknown convention "${String(convention)}" (use 'rgb-mean' or 'mcvd-luma-uint8')`);
  }
  if (!(k1 > 0 && k2 > 0)) throw new Error(`ssim: k1 and k2 must be positive, got ${k1}, ${k2}`);
  const spec = windowSpec(window);
  const k = spec.taps.length;
  const shape = real.shape;
  const h = shape[shape.length - 3];
  const w = shape[shape.length - 2];
  if (h < k || w < k) {
    throw new Error(`ssim: frames of ${h}x${w} are smaller than the ${k}x${k} ${window} window`);
  }
  const c1 = k1 * k1;
  const c2 = k2 * k2;
  const perFrame = tf.tidy(() => {
    let a = toFrames(real, 'ssim real').frames;
    let b = toFrames(fake, 'ssim fake').frames;
    if (convention === 'mcvd-luma-uint8') {
      a = mcvdLumaUint8(a);
      b = mcvdLumaUint8(b);
    }
    const ch = a.shape[3];
    // (Co)variances are invariant to shifting x and y separately: removing each image's own mean
    // first keeps E[x²] - E[x]² from cancelling catastrophically in float32 (flat images, where
    // C2 dominates, lost 4e-5 without this).
    const shiftA = tf.mean(tf.mean(a, 2, true), 1, true);
    const shiftB = tf.mean(tf.mean(b, 2, true), 1, true);
    const a0 = tf.sub(a, shiftA);
    const b0 = tf.sub(b, shiftB);
    const stack = tf.concat([a0, b0, tf.mul(a0, a0), tf.mul(b0, b0), tf.mul(a0, b0)], 3) as tf.Tensor4D;
    const taps = tf.tensor1d(Float32Array.from(spec.taps));
    const depth = 5 * ch;
    const fRows = tf.tile(tf.reshape(taps, [k, 1, 1, 1]), [1, 1, depth, 1]) as tf.Tensor4D;
    const fCols = tf.tile(tf.reshape(taps, [1, k, 1, 1]), [1, 1, depth, 1]) as tf.Tensor4D;
    const filtered = tf.depthwiseConv2d(tf.depthwiseConv2d(stack, fRows, 1, 'valid'), fCols, 1, 'valid');
    const [ma0, mb0, eaa, ebb, eab] = tf.split(filtered, 5, 3);
    const vx = tf.mul(tf.sub(eaa, tf.square(ma0)), spec.covNorm);
    const vy = tf.mul(tf.sub(ebb, tf.square(mb0)), spec.covNorm);
    const vxy = tf.mul(tf.sub(eab, tf.mul(ma0, mb0)), spec.covNorm);
    const mx = tf.add(ma0, shiftA);
    const my = tf.add(mb0, shiftB);
    const num = tf.mul(tf.add(tf.mul(tf.mul(mx, my), 2), c1), tf.add(tf.mul(vxy, 2), c2));
    const den = tf.mul(tf.add(tf.add(tf.square(mx), tf.square(my)), c1), tf.add(tf.add(vx, vy), c2));
    return meanPerFrame(tf.div(num, den) as tf.Tensor4D);
  });
  const out = Float64Array.from(perFrame.dataSync());
  perFrame.dispose();
  return out;
}

/** Mean SSIM over all frames (and videos). */
export function ssim(real: tf.Tensor, fake: tf.Tensor, options: SsimOptions = {}): number {
  const v = framewiseSsim(real, fake, options);
  return v.reduce((s, x) => s + x, 0) / v.length;
}
