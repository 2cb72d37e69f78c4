/**
 * Noise schedules as plain float64 host math (paper §3.1, Eq. 1-2; Ho et al. 2020; Nichol & Dhariwal
 * 2021). Indexing is the standard DDPM one: t = 0..T-1, t = 0 is the least noisy step (the golden
 * file's convention). MCVD's reversed labels are handled in `samplers.ts`.
 */
import { brandedInstanceOf, failWith, hasBrand, type Configurable, type Fail } from '@evdm/core';

/**
 * What the network predicts: `'eps'` the noise ε (the paper, MCVD, Ho et al.), or `'v'` the velocity
 * v = √ᾱ_t·ε − √(1−ᾱ_t)·x0 (Salimans & Ho 2022), whose x̂0 = √ᾱ_t·x_t − √(1−ᾱ_t)·v̂ stays accurate at
 * high noise where ε-errors are amplified by 1/√ᾱ_t. The loss targets it and the samplers convert it.
 */
export type Prediction = 'eps' | 'v';

/** Linear betas from `betaStart` to `betaEnd` (numpy `linspace`, endpoints included). */
export interface LinearScheduleConfig {
  kind: 'linear';
  /** Number of diffusion steps. */
  T: number;
  betaStart: number;
  betaEnd: number;
  /** Network parameterisation (default `'eps'`). */
  prediction: Prediction;
}

/**
 * Cosine schedule: ᾱ(u) = cos((u+s)/(1+s)·π/2)², β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), maxBeta).
 */
export interface CosineScheduleConfig {
  kind: 'cosine';
  T: number;
  /** Offset s (0.008 in Nichol & Dhariwal). */
  s: number;
  /** Upper clip of every beta (0.999). */
  maxBeta: number;
  /** Network parameterisation (default `'eps'`). */
  prediction: Prediction;
}

/** JSON-serialisable description of a schedule. */
export type ScheduleConfig = LinearScheduleConfig | CosineScheduleConfig;

/** A config with any field but `kind` left to its default. */
export type ScheduleConfigInput =
  | ({ kind?: 'linear' } & Partial<Omit<LinearScheduleConfig, 'kind'>>)
  | ({ kind: 'cosine' } & Partial<Omit<CosineScheduleConfig, 'kind'>>);

/** MCVD / EVDM defaults: linear 1e-4..0.02 over T = 1000 steps. */
export const DEFAULT_LINEAR: LinearScheduleConfig = {
  kind: 'linear',
  T: 1000,
  betaStart: 1e-4,
  betaEnd: 0.02,
  prediction: 'eps',
};
export const DEFAULT_COSINE: CosineScheduleConfig = { kind: 'cosine', T: 1000, s: 0.008, maxBeta: 0.999, prediction: 'eps' };

const fail: Fail = failWith('NoiseSchedule');

function checkNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${name} must be a finite number, got ${String(v)}`);
  return v;
}

/**
 * Fills defaults and validates; throws a clear error naming the bad field.
 * @deprecated use `NoiseSchedule.resolve` (the config idiom: `resolve` / `toJSON` / `fromJSON`).
 */
export function resolveScheduleConfig(input: unknown = {}): ScheduleConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    fail(`config must be an object, got ${input === null ? 'null' : typeof input}`);
  }
  const c = input as Record<string, unknown>;
  const kind = c.kind ?? 'linear';
  const allowed =
    kind === 'linear' ? ['kind', 'T', 'betaStart', 'betaEnd', 'prediction'] : ['kind', 'T', 's', 'maxBeta', 'prediction'];
  if (kind !== 'linear' && kind !== 'cosine') fail(`kind must be 'linear' or 'cosine', got ${JSON.stringify(kind)}`);
  for (const k of Object.keys(c)) if (!allowed.includes(k)) fail(`unknown field "${k}" for a ${kind} schedule`);
  const T = checkNumber('T', c.T ?? 1000);
  if (!Number.isInteger(T) || T < 2) fail(`T must be an integer >= 2, got ${T}`);
  const prediction = c.prediction ?? 'eps';
  if (prediction !== 'eps' && prediction !== 'v') fail(`prediction must be 'eps' or 'v', got ${JSON.stringify(prediction)}`);
  if (kind === 'linear') {
    const betaStart = checkNumber('betaStart', c.betaStart ?? DEFAULT_LINEAR.betaStart);
    const betaEnd = checkNumber('betaEnd', c.betaEnd ?? DEFAULT_LINEAR.betaEnd);
    for (const [n, b] of [
      ['betaStart', betaStart],
      ['betaEnd', betaEnd],
    ] as const) {
      if (!(b > 0 && b < 1)) fail(`${n} must lie in (0, 1), got ${b}`);
    }
    return { kind, T, betaStart, betaEnd, prediction };
  }
  const s = checkNumber('s', c.s ?? DEFAULT_COSINE.s);
  const maxBeta = checkNumber('maxBeta', c.maxBeta ?? DEFAULT_COSINE.maxBeta);
  if (!(s >= 0)) fail(`s must be >= 0, got ${s}`);
  if (!(maxBeta > 0 && maxBeta < 1)) fail(`maxBeta must lie in (0, 1), got ${maxBeta}`);
  return { kind, T, s, maxBeta, prediction };
}

/** numpy.linspace(start, stop, n): start + i·step, last element set to stop exactly. */
function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step + start;
  out[n - 1] = stop;
  return out;
}

function cosineBetas(T: number, s: number, maxBeta: number): Float64Array {
  const alphaBar = (u: number) => Math.cos((((u + s) / (1 + s)) * Math.PI) / 2) ** 2;
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), maxBeta);
  return out;
}

function map(a: Float64Array, f: (v: number, i: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], i);
  return out;
}

/**
 * All per-step quantities of a DDPM forward process, float64, indexed by standard t = 0..T-1.
 * Formulas follow improved-diffusion (`alphasCumprodPrev[0] = 1`, posterior variance 0 at t = 0,
 * hence the clipped log variance).
 */
const SCHEDULE_BRAND: unique symbol = Symbol.for('@evdm/diffusion/NoiseSchedule');

/** True for a `NoiseSchedule` from any build (ESM/CJS) or installed copy of this package. */
export function isNoiseSchedule(x: unknown): x is NoiseSchedule {
  return hasBrand(x, SCHEDULE_BRAND);
}

export class NoiseSchedule {
  /** `instanceof NoiseSchedule` holds across builds and copies of this package (see @evdm/core brand.ts). */
  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedInstanceOf(NoiseSchedule, this, SCHEDULE_BRAND, x);
  }

  get [SCHEDULE_BRAND](): true {
    return true;
  }

  readonly config: ScheduleConfig;
  /** Number of diffusion steps. */
  readonly T: number;
  /** What the network predicts (ε or v); see `Prediction`. */
  readonly prediction: Prediction;
  readonly betas: Float64Array;
  /** 1 − β_t. */
  readonly alphas: Float64Array;
  /** ᾱ_t = Π_{s≤t} α_s. */
  readonly alphasCumprod: Float64Array;
  /** ᾱ_{t−1}, with 1 at t = 0. */
  readonly alphasCumprodPrev: Float64Array;
  readonly sqrtAlphasCumprod: Float64Array;
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  readonly logOneMinusAlphasCumprod: Float64Array;
  /** √(1/ᾱ_t): x0 = this·x_t − sqrtRecipm1AlphasCumprod·ε. */
  readonly sqrtRecipAlphasCumprod: Float64Array;
  /** √(1/ᾱ_t − 1). */
  readonly sqrtRecipm1AlphasCumprod: Float64Array;
  /** β̃_t = β_t(1−ᾱ_{t−1})/(1−ᾱ_t). */
  readonly posteriorVariance: Float64Array;
  /** log β̃_t with β̃_0 replaced by β̃_1 (β̃_0 = 0). */
  readonly posteriorLogVarianceClipped: Float64Array;
  /** Coefficient of x0 in the posterior mean: β_t√ᾱ_{t−1}/(1−ᾱ_t). */
  readonly posteriorMeanCoef1: Float64Array;
  /** Coefficient of x_t in the posterior mean: (1−ᾱ_{t−1})√α_t/(1−ᾱ_t). */
  readonly posteriorMeanCoef2: Float64Array;

  /** Builds a schedule; omitted fields take the MCVD/EVDM defaults (linear 1e-4..0.02, T = 1000). */
  constructor(config: ScheduleConfigInput = {}) {
    const c = resolveScheduleConfig(config);
    this.config = c;
    this.T = c.T;
    this.prediction = c.prediction;
    const betas = c.kind === 'linear' ? linspace(c.betaStart, c.betaEnd, c.T) : cosineBetas(c.T, c.s, c.maxBeta);
    betas.forEach((b, i) => {
      if (!(b > 0 && b < 1)) fail(`beta[${i}] = ${b} is outside (0, 1)`);
    });
    this.betas = betas;
    this.alphas = map(betas, (b) => 1 - b);
    const ac = new Float64Array(c.T);
    let prod = 1;
    for (let t = 0; t < c.T; t++) {
      prod *= this.alphas[t];
      ac[t] = prod;
    }
    this.alphasCumprod = ac;
    this.alphasCumprodPrev = map(ac, (_, t) => (t === 0 ? 1 : ac[t - 1]));
    const prev = this.alphasCumprodPrev;
    this.sqrtAlphasCumprod = map(ac, Math.sqrt);
    this.sqrtOneMinusAlphasCumprod = map(ac, (a) => Math.sqrt(1 - a));
    this.logOneMinusAlphasCumprod = map(ac, (a) => Math.log(1 - a));
    this.sqrtRecipAlphasCumprod = map(ac, (a) => Math.sqrt(1 / a));
    this.sqrtRecipm1AlphasCumprod = map(ac, (a) => Math.sqrt(1 / a - 1));
    this.posteriorVariance = map(betas, (b, t) => (b * (1 - prev[t])) / (1 - ac[t]));
    const pv = this.posteriorVariance;
    this.posteriorLogVarianceClipped = map(pv, (v, t) => Math.log(t === 0 ? pv[1] : v));
    this.posteriorMeanCoef1 = map(betas, (b, t) => (b * Math.sqrt(prev[t])) / (1 - ac[t]));
    this.posteriorMeanCoef2 = map(betas, (_, t) => ((1 - prev[t]) * Math.sqrt(this.alphas[t])) / (1 - ac[t]));
  }

  /** The linear schedule (defaults 1e-4..0.02, T = 1000). */
  static linear(T = DEFAULT_LINEAR.T, betaStart = DEFAULT_LINEAR.betaStart, betaEnd = DEFAULT_LINEAR.betaEnd): NoiseSchedule {
    return new NoiseSchedule({ kind: 'linear', T, betaStart, betaEnd });
  }

  /** The cosine schedule (defaults s = 0.008, maxBeta = 0.999, T = 1000). */
  static cosine(T = DEFAULT_COSINE.T, s = DEFAULT_COSINE.s, maxBeta = DEFAULT_COSINE.maxBeta): NoiseSchedule {
    return new NoiseSchedule({ kind: 'cosine', T, s, maxBeta });
  }

  /** Fills defaults and validates (the full config `toJSON` returns); errors name the bad field. */
  static resolve(input: ScheduleConfigInput = {}): ScheduleConfig {
    return resolveScheduleConfig(input);
  }

  /** The full config (every field explicit), suitable for JSON. */
  toJSON(): ScheduleConfig {
    return { ...this.config };
  }

  /** Rebuilds a schedule from `toJSON()` output (an object or its JSON string); validated. */
  static fromJSON(json: unknown): NoiseSchedule {
    const obj = typeof json === 'string' ? (JSON.parse(json) as unknown) : json;
    if (obj === null || typeof obj !== 'object' || !('kind' in obj)) {
      fail('fromJSON needs an object with a "kind" field');
    }
    return new NoiseSchedule(obj as ScheduleConfigInput);
  }

  /** Throws unless `t` is an integer step index in [0, T). */
  checkTimestep(t: number, what = 't'): void {
    if (!Number.isInteger(t) || t < 0 || t >= this.T) {
      throw new Error(`${what} must be an integer in [0, ${this.T - 1}], got ${t}`);
    }
  }
}

NoiseSchedule satisfies Configurable<ScheduleConfigInput, ScheduleConfig, NoiseSchedule>;
