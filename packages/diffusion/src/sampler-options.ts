/** Options and validation shared by the DDPM and DDIM samplers. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@evdm/core';
import { NoiseSchedule } from './schedule';
import type { Denoiser, PlanOptions, PlanStep } from './timesteps';
import { samplingPlan } from './timesteps';
import { x0Coefficients } from './step-coefficients';

export interface SamplerOptions extends PlanOptions {
  schedule: NoiseSchedule;
  /** ε̂ = denoiser(x_t, per-sample standard t, cond). Wrap MCVD-label networks with `withMcvdLabels`. */
  denoiser: Denoiser;
  /** [B, H, W, C] of the generated tensor (C = frames·channels). Optional when `xT` is given. */
  shape?: [number, number, number, number];
  /** Fixed conditioning handed to every denoiser call, [B, H, W, Cc]; the caller keeps ownership. */
  cond?: tf.Tensor4D;
  /** Clip x̂0 to [−1, 1] before each update (MCVD `clip_before`). Default true. */
  clipX0?: boolean;
  /** Seed or Rng for x_T and the step noise; omitted = a fresh random seed (not reproducible). */
  seed?: number | Rng;
  /** Starting noise x_T instead of a seeded N(0, I) draw; the caller keeps ownership. */
  xT?: tf.Tensor4D;
  /**
   * `'mcvd'` reproduces MCVD's `sampling.denoise`: after the loop x ← x − √(1−ᾱ_last)·ε̂(x, label S−1),
   * i.e. standard t = T − S (a quirk when S < T, see MCVD-SPEC §8). Default `'none'`.
   */
  finalDenoise?: 'none' | 'mcvd';
  /**
   * The N(0, I) draw added after step k (k = 0-based step index) instead of a seeded one, e.g. to
   * replay another implementation's noise. Must have the sample's shape; the caller keeps ownership.
   */
  stepNoise?: (k: number) => tf.Tensor4D;
  /** Progress callback after every denoiser step: k = 1..total, t = the step just taken. */
  onStep?: (k: number, total: number, t: number) => void;
}

export interface PreparedSampler {
  plan: PlanStep[];
  shape: [number, number, number, number];
  rng: Rng;
  clipX0: boolean;
}

function fail(fn: string, msg: string): never {
  throw new Error(`${fn}: ${msg}`);
}

export function prepareSampler(fn: string, opts: SamplerOptions): PreparedSampler {
  if (!opts || typeof opts !== 'object') fail(fn, 'options object required');
  if (!(opts.schedule instanceof NoiseSchedule)) fail(fn, 'schedule must be a NoiseSchedule');
  if (typeof opts.denoiser !== 'function') fail(fn, 'denoiser must be a function (xt, t, cond) => eps');
  let shape = opts.shape;
  if (opts.xT !== undefined) {
    if (!(opts.xT instanceof tf.Tensor) || opts.xT.rank !== 4) fail(fn, `xT must be a rank-4 tensor, got shape [${opts.xT?.shape}]`);
    const s = opts.xT.shape as [number, number, number, number];
    if (shape && shape.some((d, i) => d !== s[i])) fail(fn, `xT has shape [${s}] but shape is [${shape}]`);
    shape = s;
  }
  if (!shape || shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    fail(fn, `shape must be [B, H, W, C] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (opts.cond !== undefined) {
    if (!(opts.cond instanceof tf.Tensor) || opts.cond.rank !== 4) fail(fn, `cond must be a rank-4 tensor, got shape [${opts.cond?.shape}]`);
    const c = opts.cond.shape;
    if (c[0] !== shape[0] || c[1] !== shape[1] || c[2] !== shape[2]) {
      fail(fn, `cond has shape [${c}] but the sample is [${shape}] (batch, height and width must match)`);
    }
  }
  if (opts.clipX0 !== undefined && typeof opts.clipX0 !== 'boolean') fail(fn, 'clipX0 must be a boolean');
  if (opts.finalDenoise !== undefined && opts.finalDenoise !== 'none' && opts.finalDenoise !== 'mcvd') {
    fail(fn, `finalDenoise must be 'none' or 'mcvd', got ${JSON.stringify(opts.finalDenoise)}`);
  }
  if (opts.onStep !== undefined && typeof opts.onStep !== 'function') fail(fn, 'onStep must be a function');
  if (opts.stepNoise !== undefined && typeof opts.stepNoise !== 'function') fail(fn, 'stepNoise must be a function (k) => tensor');
  let rng: Rng;
  if (opts.seed instanceof Rng) rng = opts.seed;
  else if (opts.seed === undefined) rng = new Rng(Math.floor(Math.random() * 2 ** 32));
  else if (typeof opts.seed === 'number' && Number.isInteger(opts.seed)) rng = new Rng(opts.seed);
  else fail(fn, `seed must be an integer or an Rng, got ${String(opts.seed)}`);
  let plan: PlanStep[];
  try {
    plan = samplingPlan(opts.schedule, opts);
  } catch (e) {
    fail(fn, (e as Error).message);
  }
  return { plan, shape, rng, clipX0: opts.clipX0 ?? true };
}

/** Calls the denoiser and checks that it answered with a tensor of the sample's shape. */
export function callDenoiser(fn: string, opts: SamplerOptions, x: tf.Tensor4D, t: number): tf.Tensor4D {
  const out = opts.denoiser(x, new Array<number>(x.shape[0]).fill(t), opts.cond);
  if (!(out instanceof tf.Tensor) || out.shape.length !== 4 || out.shape.some((d, i) => d !== x.shape[i])) {
    fail(fn, `denoiser returned shape [${(out as tf.Tensor | undefined)?.shape}] at t = ${t}, expected [${x.shape}]`);
  }
  if (opts.schedule.prediction === 'eps') return out;
  // v-parameterised network: ε = √ᾱ_t·v + √(1−ᾱ_t)·x_t
  return tf.tidy(() => tf.add(tf.mul(out, opts.schedule.sqrtAlphasCumprod[t]), tf.mul(x, opts.schedule.sqrtOneMinusAlphasCumprod[t]))) as tf.Tensor4D;
}

/** x_T: the caller's tensor (not owned) or a seeded N(0, I) draw (owned). */
export function initialNoise(opts: SamplerOptions, p: PreparedSampler): { x: tf.Tensor4D; owned: boolean } {
  if (opts.xT) return { x: opts.xT, owned: false };
  return { x: tf.randomNormal(p.shape, 0, 1, 'float32', p.rng.seed31()) as tf.Tensor4D, owned: true };
}

/** The noise added after step k: the caller's `stepNoise(k)` or a seeded draw (tidy-owned either way). */
export function stepNoise(fn: string, opts: SamplerOptions, p: PreparedSampler, k: number): tf.Tensor4D {
  if (!opts.stepNoise) return tf.randomNormal(p.shape, 0, 1, 'float32', p.rng.seed31()) as tf.Tensor4D;
  const z = opts.stepNoise(k);
  if (!(z instanceof tf.Tensor) || z.shape.length !== 4 || z.shape.some((d, i) => d !== p.shape[i])) {
    fail(fn, `stepNoise(${k}) returned shape [${(z as tf.Tensor | undefined)?.shape}], expected [${p.shape}]`);
  }
  return z;
}

/** x̂0 from x_t and ε̂, optionally clipped to [−1, 1]. */
export function predictX0(x: tf.Tensor4D, eps: tf.Tensor4D, step: PlanStep, clip: boolean): tf.Tensor4D {
  const c = x0Coefficients(step.alphaBar);
  const x0 = tf.add(tf.mul(x, c.x0CoefXt), tf.mul(eps, c.x0CoefEps)) as tf.Tensor4D;
  return clip ? tf.clipByValue(x0, -1, 1) : x0;
}

/** MCVD's optional final "denoise" call (see `finalDenoise`); returns a new tensor. */
export function finalDenoise(fn: string, opts: SamplerOptions, p: PreparedSampler, x: tf.Tensor4D): tf.Tensor4D {
  const last = p.plan[p.plan.length - 1];
  return tf.tidy(() => {
    const eps = callDenoiser(fn, opts, x, opts.schedule.T - p.plan.length);
    return tf.sub(x, tf.mul(eps, Math.sqrt(1 - last.alphaBar))) as tf.Tensor4D;
  });
}

/**
 * The loop both samplers share: `update(x, eps, k)` returns x_prev inside a tidy; the previous x is
 * disposed unless it is the caller's x_T, so memory stays flat across steps.
 */
export function runSampler(
  fn: string,
  opts: SamplerOptions,
  p: PreparedSampler,
  update: (x: tf.Tensor4D, eps: tf.Tensor4D, k: number) => tf.Tensor4D,
): tf.Tensor4D {
  const start = initialNoise(opts, p);
  let x = start.x;
  let owned = start.owned;
  const total = p.plan.length;
  try {
    for (let k = 0; k < total; k++) {
      const step = p.plan[k];
      const next = tf.tidy(() => update(x, callDenoiser(fn, opts, x, step.t), k));
      if (owned) x.dispose();
      x = next;
      owned = true;
      opts.onStep?.(k + 1, total, step.t);
    }
    if ((opts.finalDenoise ?? 'none') === 'mcvd') {
      const out = finalDenoise(fn, opts, p, x);
      if (owned) x.dispose();
      x = out;
    }
  } catch (e) {
    // a throwing denoiser or callback must not leak the current sample
    if (owned && !x.isDisposed) x.dispose();
    throw e;
  }
  return x;
}
