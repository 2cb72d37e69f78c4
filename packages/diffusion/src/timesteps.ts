/**
 * Timestep conventions and the step plans of the samplers.
 *
 * | convention | noisiest step | cleanest step | ᾱ at index |
 * |---|---|---|---|
 * | standard DDPM `t` (this package, golden file) | t = T−1 | t = 0 | `alphasCumprod[t]` |
 * | MCVD label `i` (its time embedding sees this integer) | i = 0 | i = T−1 | `alphasCumprod[T−1−i]` |
 *
 * MCVD builds `betas = linspace(0.02, 1e-4, T)` (descending) and `alphas[i] = Π_{j≥i}(1−betas[j])`,
 * so its `alphas[i]` is the standard ᾱ at t = T−1−i (docs/mcvd-reference.md §6). The mapping is its own inverse.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NoiseSchedule } from './schedule';

function checkIndex(v: number, T: number, what: string): void {
  if (!Number.isInteger(T) || T < 1) throw new Error(`T must be a positive integer, got ${T}`);
  if (!Number.isInteger(v) || v < 0 || v >= T) throw new Error(`${what} must be an integer in [0, ${T - 1}], got ${v}`);
}

/** MCVD label of standard step `t`: `T − 1 − t` (label 0 = noisiest). */
export function mcvdLabel(t: number, T: number): number {
  checkIndex(t, T, 't');
  return T - 1 - t;
}

/** Standard step `t` of MCVD label `label`: `T − 1 − label`. */
export function fromMcvdLabel(label: number, T: number): number {
  checkIndex(label, T, 'MCVD label');
  return T - 1 - label;
}

/** Signature every sampler and the loss call: `ε̂ = denoiser(x_t, t, cond)` with per-sample standard t. */
export type Denoiser = (xt: tf.Tensor4D, t: number[], cond?: tf.Tensor4D) => tf.Tensor4D;

/** A network that takes MCVD labels (label 0 = noisiest) instead of standard t. */
export type McvdDenoiser = (xt: tf.Tensor4D, label: number[], cond?: tf.Tensor4D) => tf.Tensor4D;

/** Wraps an MCVD-convention network so samplers and the loss can call it with standard t. */
export function withMcvdLabels(net: McvdDenoiser, T: number): Denoiser {
  return (xt, t, cond) => net(xt, t.map((v) => mcvdLabel(v, T)), cond);
}

/**
 * How `steps < T` steps are chosen, with `skip = floor(T / steps)`:
 * - `'mcvd'`: MCVD's labels 0, skip, …, (steps−1)·skip, i.e. standard t = T−1, T−1−skip, … (starts at
 *   the noisiest step, never visits t = 0 unless skip = 1);
 * - `'leading'`: t = k·skip for k < steps, visited in reverse, i.e. (steps−1)·skip, …, skip, 0
 *   (diffusers "leading"; equals range(0, T, skip) of the DDIM code and the golden file whenever
 *   steps divides T — otherwise that range would have more than `steps` entries).
 * With steps = T both give T−1, …, 0.
 */
export type StepSpacing = 'mcvd' | 'leading';

/** One step of a sampling plan (sampling order). */
export interface PlanStep {
  /** Standard step index handed to the denoiser. */
  t: number;
  /** Standard index of the next step, or −1 after the last one. */
  tPrev: number;
  /** ᾱ at t. */
  alphaBar: number;
  /** ᾱ of the next step; the final value is 1 (or ᾱ_0 with `finalAlphaBar: 'alphas-cumprod-0'`). */
  alphaBarPrev: number;
  /** Effective β of this jump: 1 − ᾱ/ᾱ_prev (the schedule's own β_t when the jump is one step). */
  beta: number;
}

export interface PlanOptions {
  /** Number of denoiser calls, 1..T (default T). */
  steps?: number;
  /** Default `'mcvd'`. */
  spacing?: StepSpacing;
  /** ᾱ after the last step: `'one'` (default, DDPM/MCVD/DDIM official) or ᾱ_0 (diffusers set_alpha_to_one=false). */
  finalAlphaBar?: 'one' | 'alphas-cumprod-0';
}

/** The subsampled step sequence with re-derived ᾱ_prev and β (docs/mcvd-reference.md §8). */
export function samplingPlan(schedule: NoiseSchedule, opts: PlanOptions = {}): PlanStep[] {
  const T = schedule.T;
  const steps = opts.steps ?? T;
  const spacing = opts.spacing ?? 'mcvd';
  const finalAlphaBar = opts.finalAlphaBar ?? 'one';
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new Error(`steps must be an integer in [1, ${T}] (the schedule's T), got ${steps}`);
  }
  if (spacing !== 'mcvd' && spacing !== 'leading') {
    throw new Error(`spacing must be 'mcvd' or 'leading', got ${JSON.stringify(spacing)}`);
  }
  if (finalAlphaBar !== 'one' && finalAlphaBar !== 'alphas-cumprod-0') {
    throw new Error(`finalAlphaBar must be 'one' or 'alphas-cumprod-0', got ${JSON.stringify(finalAlphaBar)}`);
  }
  const skip = Math.floor(T / steps);
  const ts: number[] = [];
  for (let k = 0; k < steps; k++) ts.push(spacing === 'mcvd' ? T - 1 - k * skip : (steps - 1 - k) * skip);
  const ac = schedule.alphasCumprod;
  const last = finalAlphaBar === 'one' ? 1 : ac[0];
  return ts.map((t, k) => {
    const tPrev = k + 1 < ts.length ? ts[k + 1] : -1;
    const alphaBar = ac[t];
    const alphaBarPrev = tPrev >= 0 ? ac[tPrev] : last;
    // A one-step jump keeps the schedule's exact β_t (so steps = T is plain DDPM).
    const oneStep = tPrev === t - 1 && (tPrev >= 0 || finalAlphaBar === 'one');
    const beta = oneStep ? schedule.betas[t] : 1 - alphaBar / alphaBarPrev;
    return { t, tPrev, alphaBar, alphaBarPrev, beta };
  });
}
