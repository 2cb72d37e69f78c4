import * as tf from '@tensorflow/tfjs-core';
import { bestOfNReport, computeFrameMetrics, type BestOfNReport, type SsimConvention } from '@evdm/metrics';

/**
 * PSNR / SSIM of predictions as the paper reports them: per video (PSNR from the frame-averaged MSE,
 * SSIM averaged over frames, data range 1 after (x + 1) / 2), best of N trajectories per clip, then
 * mean over clips. `predicted` is [B·N, T, H, W, C] with sample b·N + n = trajectory n of clip b.
 */
export function scorePrediction(
  real: tf.Tensor5D,
  predicted: tf.Tensor5D,
  trajectories = 1,
  ssimConvention: SsimConvention = 'rgb-mean',
): BestOfNReport {
  const m = perSampleMetrics(real, predicted, trajectories, ssimConvention);
  return bestOfNReport(m, trajectories);
}

/**
 * Per-sample video MSE and SSIM (frame-averaged; data range 1 after (x + 1) / 2), clip-major with
 * N consecutive samples per clip: the input of `bestOfNReport`, for accumulating over batches.
 */
export function perSampleMetrics(
  real: tf.Tensor5D,
  predicted: tf.Tensor5D,
  trajectories = 1,
  ssimConvention: SsimConvention = 'rgb-mean',
): { mse: number[]; ssim: number[] } {
  const [B] = real.shape;
  if (predicted.shape[0] !== B * trajectories) {
    throw new Error(`scorePrediction: ${predicted.shape[0]} samples for ${B} clips × ${trajectories} trajectories`);
  }
  const [r, f] = tf.tidy(() => {
    const idx = tf.tensor1d(
      Array.from({ length: B * trajectories }, (_, i) => Math.floor(i / trajectories)),
      'int32',
    );
    const unit = (x: tf.Tensor) => tf.clipByValue(tf.div(tf.add(x, 1), 2), 0, 1);
    return [unit(tf.gather(real, idx)), unit(predicted)];
  });
  try {
    const m = computeFrameMetrics({ real: r, fake: f, ssimConvention });
    return { mse: m.perVideo.mse, ssim: m.perVideo.ssim };
  } finally {
    tf.dispose([r, f]);
  }
}

/** The copy-last-frame baseline: every future frame is the last past frame. [B, T, H, W, C]. */
export function copyLastFrame(past: tf.Tensor5D, horizon: number): tf.Tensor5D {
  const [B, P, H, W, C] = past.shape;
  return tf.tidy(() => tf.tile(tf.slice(past, [0, P - 1, 0, 0, 0], [B, 1, H, W, C]), [1, horizon, 1, 1, 1]) as tf.Tensor5D);
}
