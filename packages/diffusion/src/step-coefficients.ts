/**
 * Float64 coefficients of one reverse step. The tensor samplers apply exactly these numbers, so the
 * host math here is what the golden tables check.
 */
import type { PlanStep } from './timesteps';

/** x̂0 = x0CoefXt·x_t + x0CoefEps·ε̂ (Eq. 5 / predict_start_from_noise). */
export interface X0Coefficients {
  x0CoefXt: number;
  x0CoefEps: number;
}

export function x0Coefficients(alphaBar: number): X0Coefficients {
  return { x0CoefXt: 1 / Math.sqrt(alphaBar), x0CoefEps: -Math.sqrt(1 - alphaBar) / Math.sqrt(alphaBar) };
}

/**
 * DDPM ancestral step (docs/mcvd-reference.md §8): x_prev = coefX0·x̂0 + coefXt·x_t + sigma·z with
 * coefX0 = √ᾱ_prev·β/(1−ᾱ), coefXt = √(1−β)·(1−ᾱ_prev)/(1−ᾱ), sigma = √((1−ᾱ_prev)/(1−ᾱ)·β).
 * With steps = T these are the schedule's posteriorMeanCoef1/2 and √posteriorVariance.
 */
export interface DdpmCoefficients extends X0Coefficients {
  coefX0: number;
  coefXt: number;
  sigma: number;
}

export function ddpmCoefficients(step: PlanStep): DdpmCoefficients {
  const { alphaBar: a, alphaBarPrev: ap, beta } = step;
  return {
    ...x0Coefficients(a),
    coefX0: (Math.sqrt(ap) * beta) / (1 - a),
    coefXt: (Math.sqrt(1 - beta) * (1 - ap)) / (1 - a),
    sigma: Math.sqrt(((1 - ap) / (1 - a)) * beta),
  };
}

/**
 * DDIM step (Song et al., Eq. 12): x_prev = √ᾱ_prev·x̂0 + dirCoef·ε̂ + sigma·z with
 * sigma = η·√((1−ᾱ_prev)/(1−ᾱ))·√(1−ᾱ/ᾱ_prev) and dirCoef = √(1−ᾱ_prev−sigma²).
 * Without clipping and with η = 0 this is x_prev = coefXt·x_t + coefEps·ε̂ (the golden file's form).
 */
export interface DdimCoefficients extends X0Coefficients {
  sqrtAlphaBarPrev: number;
  dirCoef: number;
  sigma: number;
  /** √(ᾱ_prev/ᾱ): the x_t coefficient of the unclipped η = 0 update. */
  coefXt: number;
  /** √(1−ᾱ_prev) − √(ᾱ_prev(1−ᾱ)/ᾱ): the ε̂ coefficient of the unclipped η = 0 update. */
  coefEps: number;
}

export function ddimCoefficients(step: PlanStep, eta = 0): DdimCoefficients {
  if (!(eta >= 0) || !Number.isFinite(eta)) throw new Error(`eta must be a finite number >= 0, got ${eta}`);
  const { alphaBar: a, alphaBarPrev: ap } = step;
  const sigma = eta * Math.sqrt((1 - ap) / (1 - a)) * Math.sqrt(1 - a / ap);
  // 1 − ᾱ_prev − σ² can round to a tiny negative number when η = 1 at the last step.
  const dir = Math.max(1 - ap - sigma * sigma, 0);
  return {
    ...x0Coefficients(a),
    sqrtAlphaBarPrev: Math.sqrt(ap),
    dirCoef: Math.sqrt(dir),
    sigma,
    coefXt: Math.sqrt(ap / a),
    coefEps: Math.sqrt(1 - ap) - (Math.sqrt(ap) * Math.sqrt(1 - a)) / Math.sqrt(a),
  };
}
