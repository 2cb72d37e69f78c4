import type { ParamReader } from '@evdm/core';
import type { Denoiser } from '@evdm/diffusion';
import type { DenoisingUNet } from '../models/unet';

/** The sampler's `Denoiser` view of a network in inference mode (no dropout). */
export function networkDenoiser(net: DenoisingUNet, read: ParamReader): Denoiser {
  return (xt, t, cond) => net.apply(read, xt, t, cond ?? null, { training: false });
}
