import * as tf from '@tensorflow/tfjs-core';
import type { ParamReader } from '@evdm/core';
import type { NoiseSchedule } from '@evdm/diffusion';
import type { DenoisingUNet } from '../models/unet';
import type { Clip } from '../data/source';
import { networkDenoiser } from './network-denoiser';
import { sampleVideo, type SamplerConfig } from './predict';
import { writeComparisonGrid } from './write';

/**
 * Writes a preview grid for a batch of clips: real rows against one predicted (or interpolated,
 * or generated when the model has no past frames) row each. Does not dispose the clip.
 */
export function writePreviewGrid(
  path: string,
  net: DenoisingUNet,
  read: ParamReader,
  schedule: NoiseSchedule,
  clip: Clip,
  { sampler = { sampler: 'ddim', steps: 20 }, seed = 0 }: { sampler?: Partial<SamplerConfig>; seed?: number } = {},
): void {
  const cfg = net.config;
  const past = clip.past as tf.Tensor5D | undefined;
  const future = clip.future as tf.Tensor5D | undefined;
  const real = clip.current as tf.Tensor5D;
  const mode = cfg.pastFrames === 0 ? 'generate' : cfg.futureFrames > 0 ? 'interpolate' : 'predict';
  const predicted = sampleVideo({
    mode,
    denoiser: networkDenoiser(net, read),
    schedule,
    layout: cfg,
    past,
    future,
    batch: real.shape[0],
    horizon: cfg.currentFrames,
    seed,
    sampler,
  });
  try {
    writeComparisonGrid(path, { context: past, real, predicted });
  } finally {
    predicted.dispose();
  }
}
