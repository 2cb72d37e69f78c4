/** DDIM sampling (Song et al. 2021, Eq. 12) with η and x̂0 clipping. */
import * as tf from '@tensorflow/tfjs-core';
import { ddimCoefficients } from './step-coefficients';
import { prepareSampler, predictX0, runSampler, stepNoise, type SamplerOptions } from './sampler-options';

export interface DdimOptions extends SamplerOptions {
  /** 0 = deterministic DDIM, 1 = DDPM-like stochasticity. Default 0. */
  eta?: number;
}

/**
 * Per step: x̂0 = (x − √(1−ᾱ)·ε̂)/√ᾱ (clipped unless `clipX0: false`), σ = η√((1−ᾱ_prev)/(1−ᾱ))√(1−ᾱ/ᾱ_prev),
 * x ← √ᾱ_prev·x̂0 + √(1−ᾱ_prev−σ²)·ε̂ + σ·z. Returns a new tensor owned by the caller.
 */
export function ddimSample(opts: DdimOptions): tf.Tensor4D {
  const eta = opts?.eta ?? 0;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0) {
    throw new Error(`ddimSample: eta must be a finite number >= 0, got ${String(eta)}`);
  }
  const p = prepareSampler('ddimSample', opts);
  const coefs = p.plan.map((s) => ddimCoefficients(s, eta));
  return runSampler('ddimSample', opts, p, (x, eps, k) => {
    const c = coefs[k];
    const x0 = predictX0(x, eps, p.plan[k], p.clipX0);
    const out = tf.add(tf.mul(x0, c.sqrtAlphaBarPrev), tf.mul(eps, c.dirCoef)) as tf.Tensor4D;
    if (c.sigma === 0) return out;
    return tf.add(out, tf.mul(stepNoise('ddimSample', opts, p, k), c.sigma)) as tf.Tensor4D;
  });
}
