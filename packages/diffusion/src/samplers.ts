/**
 * The samplers in one module, in the order a reverse step needs them (as improved-diffusion's
 * gaussian_diffusion and diffusers' schedulers keep them):
 * 1. timestep conventions (standard DDPM t vs MCVD labels) and the denoiser signature;
 * 2. the step plan for `steps <= T` (spacing, re-derived ᾱ_prev and β; docs/mcvd-reference.md §8);
 * 3. float64 coefficients of one reverse step (DDPM ancestral, DDIM Eq. 12), checked against the golden tables;
 * 4. the shared options, validation and loop;
 * 5. `ddpmSample` and `ddimSample`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, Rng } from '@evdm/core';
import { NoiseSchedule } from './schedule';

// ---- 1. Timestep conventions ------------------------------------------------------------------

/*
 * | convention | noisiest step | cleanest step | ᾱ at index |
 * |---|---|---|---|
 * | standard DDPM `t` (this package, golden file) | t = T−1 | t = 0 | `alphasCumprod[t]` |
 * | MCVD label `i` (its time embedding sees this integer) | i = 0 | i = T−1 | `alphasCumprod[T−1−i]` |
 *
 * MCVD builds `betas = linspace(0.02, 1e-4, T)` (descending) and `alphas[i] = Π_{j≥i}(1−betas[j])`,
 * so its `alphas[i]` is the standard ᾱ at t = T−1−i (docs/mcvd-reference.md §6). The mapping is its own inverse.
 */

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
  return (xt, t, cond) =>
    net(
      xt,
      t.map((v) => mcvdLabel(v, T)),
      cond,
    );
}

// ---- 2. The step plan -------------------------------------------------------------------------

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

// ---- 3. Coefficients of one reverse step (float64; the tensor samplers apply exactly these) ------

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

// ---- 4. Options, validation and the loop both samplers share --------------------------------------

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
   * i.e. standard t = T − S (a quirk when S < T, see docs/mcvd-reference.md §8). Default `'none'`.
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

export function prepareSampler(fn: string, opts: SamplerOptions): PreparedSampler {
  if (!opts || typeof opts !== 'object') fail(fn, 'options object required');
  if (!(opts.schedule instanceof NoiseSchedule)) fail(fn, 'schedule must be a NoiseSchedule');
  if (typeof opts.denoiser !== 'function') fail(fn, 'denoiser must be a function (xt, t, cond) => eps');
  let shape = opts.shape;
  if (opts.xT !== undefined) {
    if (!(opts.xT instanceof tf.Tensor) || opts.xT.rank !== 4)
      fail(fn, `xT must be a rank-4 tensor, got shape [${opts.xT?.shape}]`);
    const s = opts.xT.shape as [number, number, number, number];
    if (shape && shape.some((d, i) => d !== s[i])) fail(fn, `xT has shape [${s}] but shape is [${shape}]`);
    shape = s;
  }
  if (!shape || shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    fail(fn, `shape must be [B, H, W, C] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (opts.cond !== undefined) {
    if (!(opts.cond instanceof tf.Tensor) || opts.cond.rank !== 4)
      fail(fn, `cond must be a rank-4 tensor, got shape [${opts.cond?.shape}]`);
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
  if (opts.stepNoise !== undefined && typeof opts.stepNoise !== 'function')
    fail(fn, 'stepNoise must be a function (k) => tensor');
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
  return tf.tidy(() =>
    tf.add(tf.mul(out, opts.schedule.sqrtAlphasCumprod[t]), tf.mul(x, opts.schedule.sqrtOneMinusAlphasCumprod[t])),
  ) as tf.Tensor4D;
}

/** x_T: the caller's tensor (not owned) or a seeded N(0, I) draw (owned). */
export function initialNoise(opts: SamplerOptions, p: PreparedSampler): { x: tf.Tensor4D; owned: boolean } {
  if (opts.xT) return { x: opts.xT, owned: false };
  return { x: tf.randomNormal(p.shape, 0, 1, 'float32', p.rng.seed31()) as tf.Tensor4D, owned: true };
}

/** The noise added after step k: the caller's `stepNoise(k)` or a seeded draw (tidy-owned either way). */
function stepNoise(fn: string, opts: SamplerOptions, p: PreparedSampler, k: number): tf.Tensor4D {
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

// ---- 5. The samplers ----------------------------------------------------------------------------

/** DDPM ancestral sampling with MCVD's step subsampling (docs/mcvd-reference.md §8). */
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

/** DDIM sampling (Song et al. 2021, Eq. 12) with η and x̂0 clipping. */
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
