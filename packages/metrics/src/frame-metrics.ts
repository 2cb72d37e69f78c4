import * as tf from '@tensorflow/tfjs-core';
import { framewiseMse, psnrFromMse, videoLayout } from './psnr';
import { framewiseSsim, type SsimConvention } from './ssim';
import { checkPair } from './video-shape';

export interface FrameMetricsOptions {
  /** Ground truth, `[H,W,C]`, `[T,H,W,C]` or `[B,T,H,W,C]`, values in [0,1]. */
  real: tf.Tensor;
  /** Prediction, same shape. */
  fake: tf.Tensor;
  /** SSIM colour convention for both windows; default `'rgb-mean'`. */
  ssimConvention?: SsimConvention;
}

/** Per-frame and per-video values behind {@link FrameMetrics}. */
export interface FrameMetricsDetail {
  mse: number[];
  psnr: number[];
  ssim: number[];
  ssim_uniform7: number[];
}

export interface FrameMetrics {
  /** Mean over videos of the per-video PSNR from the frame-averaged MSE (MCVD); dB, data range 1. */
  psnr: number;
  /** Mean SSIM over all frames, Gaussian window (Wang et al.). */
  ssim: number;
  /** Mean SSIM over all frames, skimage's default 7×7 uniform window. */
  ssim_uniform7: number;
  /** Mean MSE over all frames. */
  mse: number;
  videos: number;
  framesPerVideo: number;
  /** Values per frame, (video, frame) row-major. */
  perFrame: FrameMetricsDetail;
  /** Values per video (PSNR from the frame-averaged MSE; SSIM and MSE averaged over frames). */
  perVideo: FrameMetricsDetail;
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/**
 * PSNR and SSIM (both windows) of a prediction against the ground truth, per frame, per video
 * and overall. This is what `evdm metrics --real A --fake B` prints.
 */
export function computeFrameMetrics({ real, fake, ssimConvention = 'rgb-mean' }: FrameMetricsOptions): FrameMetrics {
  checkPair(real, fake, 'computeFrameMetrics');
  const { videos, framesPerVideo } = videoLayout(real.shape);
  const mse = framewiseMse(real, fake);
  const ssimG = framewiseSsim(real, fake, { window: 'gaussian', convention: ssimConvention });
  const ssimU = framewiseSsim(real, fake, { window: 'uniform7', convention: ssimConvention });
  const perVideo: FrameMetricsDetail = { mse: [], psnr: [], ssim: [], ssim_uniform7: [] };
  for (let v = 0; v < videos; v++) {
    const sl = (a: Float64Array) => a.subarray(v * framesPerVideo, (v + 1) * framesPerVideo);
    const m = mean(sl(mse));
    perVideo.mse.push(m);
    perVideo.psnr.push(psnrFromMse(m));
    perVideo.ssim.push(mean(sl(ssimG)));
    perVideo.ssim_uniform7.push(mean(sl(ssimU)));
  }
  return {
    psnr: mean(perVideo.psnr),
    ssim: mean(ssimG),
    ssim_uniform7: mean(ssimU),
    mse: mean(mse),
    videos,
    framesPerVideo,
    perFrame: {
      mse: Array.from(mse),
      psnr: Array.from(mse, (m) => psnrFromMse(m)),
      ssim: Array.from(ssimG),
      ssim_uniform7: Array.from(ssimU),
    },
    perVideo,
  };
}

/**
 * The `--json` object of `evdm metrics`: exactly `{"psnr", "ssim", "ssim_uniform7"}`. A non-finite
 * PSNR (identical inputs) is written as the string `"Infinity"`, since JSON has no Infinity.
 */
export function frameMetricsJson(m: FrameMetrics): { psnr: number | string; ssim: number; ssim_uniform7: number } {
  return { psnr: Number.isFinite(m.psnr) ? m.psnr : String(m.psnr), ssim: m.ssim, ssim_uniform7: m.ssim_uniform7 };
}
