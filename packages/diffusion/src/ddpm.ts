/** DDPM ancestral sampling with MCVD's step subsampling (MCVD-SPEC §8). */
import * as tf from '@tensorflow/tfjs-core';
import { ddpmCoefficients } from './step-coefficients';
import { prepareSampler, predictX0, runSampler, stepNoise, type SamplerOptions } from './sampler-options';

/**
 * Ancestral sampling: per step x̂0 = (x − √(1−ᾱ)·ε̂)/√ᾱ (clipped to [−1, 1] unless `clipX0: false`),
 * x ← (√ᾱ_prev·β/(1−ᾱ))·x̂0 + (√(1−β)(1−ᾱ_prev)/(1−ᾱ))·x + √((1−ᾱ_prev)/(1−ᾱ)·β)·z, no noise after the
 * last step. With `steps < T` the ᾱ_prev and β are re-derived for the subsampled sequence.
 * Returns a new tensor owned by the caller.
 */
export function ddpmSample(opts: SamplerOptions): tf.Tensor4D {
  const p = prepareSampler('ddpmSample', opts);
  const last = p.plan.length - 1;
  const coefs = p.plan.map(ddpmCoefficients);
  // Step noise seeds come from the Rng in step order, after the one for x_T, so a seed fixes the run.
  return runSampler('ddpmSample', opts, p, (x, eps, k) => {
    const c = coefs[k];
    const x0 = predictX0(x, eps, p.plan[k], p.clipX0);
    const mean = tf.add(tf.mul(x0, c.coefX0), tf.mul(x, c.coefXt)) as tf.Tensor4D;
    if (k === last || c.sigma === 0) return mean;
    return tf.add(mean, tf.mul(stepNoise('ddpmSample', opts, p, k), c.sigma)) as tf.Tensor4D;
  });
}
