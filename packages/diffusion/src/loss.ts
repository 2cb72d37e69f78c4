/**
 * The masked conditioning loss L_unify (paper Eq. 7; docs/mcvd-reference.md §2 and §6): past and future frames are
 * zeroed per sample with probability 0.5 each, only the current frames are noised, and the denoiser
 * predicts that noise from [x_t | m_p·p, m_f·f].
 */
import * as tf from '@tensorflow/tfjs-core';
import { failWith, Rng, type Fail } from '@evdm/core';
import { stackFrames } from './layout';
import { perSample } from './forward';
import { NoiseSchedule } from './schedule';
import type { Denoiser } from './samplers';

/** Frames as [B, H, W, frames·C] (already stacked) or [B, frames, H, W, C] (stacked here). */
export type Frames = tf.Tensor4D | tf.Tensor5D;

export interface MaskedLossOptions {
  schedule: NoiseSchedule;
  denoiser: Denoiser;
  /** Past (conditioning) frames p. */
  past?: Frames;
  /** Current frames x0, the only ones noised. */
  current: Frames;
  /** Future frames f (interpolation). */
  future?: Frames;
  /** Draws t, the masks and the noise seed, in that order. */
  rng: Rng;
  /** Probability of zeroing a sample's past frames (keep = U > p). Default 0.5. */
  maskProbPast?: number;
  /** Probability of zeroing a sample's future frames. Default 0.5. */
  maskProbFuture?: number;
  /** Use the past mask for the future frames too (needs equal probabilities). Default false. */
  syncMask?: boolean;
  /**
   * `'mean'`: mean of (ε − ε̂)² over every element (Eq. 7; (v − v̂)² when `schedule.prediction` is 'v'). `'mcvd-sum'`: per-sample sum of ½(ε − ε̂)²,
   * averaged over the batch (MCVD's dsm loss). mcvd-sum = ½·(H·W·C)·mean. Default `'mean'`.
   */
  reduction?: 'mean' | 'mcvd-sum';
}

export interface MaskedLossResult {
  loss: tf.Scalar;
  /** Standard timestep of every sample, uniform on 0..T−1. */
  t: number[];
  /** Per-sample multiplier of the past frames: 1 = kept, 0 = zeroed (empty without past frames). */
  maskPast: number[];
  /** Per-sample multiplier of the future frames (empty without future frames). */
  maskFuture: number[];
}

const fail: Fail = failWith('maskedConditioningLoss');

function asStacked(name: string, x: Frames | undefined): tf.Tensor4D | undefined {
  if (x === undefined) return undefined;
  if (!(x instanceof tf.Tensor)) fail(`${name} must be a tensor`);
  if (x.rank === 4) return x as tf.Tensor4D;
  if (x.rank === 5) return stackFrames(x as tf.Tensor5D);
  return fail(`${name} must be [B, H, W, frames*C] or [B, frames, H, W, C], got shape [${(x as tf.Tensor).shape}]`);
}

function checkProb(name: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail(`${name} must be a probability in [0, 1], got ${String(p)}`);
}

/**
 * One stochastic evaluation of L_unify. Differentiable with respect to the denoiser's variables, so
 * it can be used inside `tf.variableGrads(() => maskedConditioningLoss(o).loss)` or
 * `optimizer.minimize`. Returns a new scalar owned by the caller.
 */
export function maskedConditioningLoss(opts: MaskedLossOptions): MaskedLossResult {
  if (!opts || typeof opts !== 'object') fail('options object required');
  const { schedule, denoiser, rng } = opts;
  if (!(schedule instanceof NoiseSchedule)) fail('schedule must be a NoiseSchedule');
  if (typeof denoiser !== 'function') fail('denoiser must be a function (xt, t, cond) => eps');
  if (!(rng instanceof Rng)) fail('rng must be an Rng from @evdm/core');
  const pPast = opts.maskProbPast ?? 0.5;
  const pFuture = opts.maskProbFuture ?? 0.5;
  checkProb('maskProbPast', pPast);
  checkProb('maskProbFuture', pFuture);
  const sync = opts.syncMask ?? false;
  if (typeof sync !== 'boolean') fail('syncMask must be a boolean');
  if (sync && pPast !== pFuture) {
    fail(`syncMask needs maskProbPast === maskProbFuture, got ${pPast} and ${pFuture}`);
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'mcvd-sum')
    fail(`reduction must be 'mean' or 'mcvd-sum', got ${JSON.stringify(reduction)}`);
  if (opts.current === undefined) fail('current frames are required');

  const stacked: tf.Tensor[] = [];
  const track = <T extends tf.Tensor | undefined>(orig: Frames | undefined, s: T): T => {
    if (s && s !== orig) stacked.push(s);
    return s;
  };
  try {
    const current = track(opts.current, asStacked('current', opts.current))!;
    const past = track(opts.past, asStacked('past', opts.past));
    const future = track(opts.future, asStacked('future', opts.future));
    const [B, H, W] = current.shape;
    for (const [name, x] of [
      ['past', past],
      ['future', future],
    ] as const) {
      if (x && (x.shape[0] !== B || x.shape[1] !== H || x.shape[2] !== W)) {
        fail(`${name} has stacked shape [${x.shape}] but current is [${current.shape}] (batch, height and width must match)`);
      }
    }

    const t = Array.from({ length: B }, () => rng.int(0, schedule.T - 1));
    const draw = (p: number) => Array.from({ length: B }, () => (rng.uniform() > p ? 1 : 0));
    const maskPast = past ? draw(pPast) : [];
    const maskFuture = future ? (sync && past ? maskPast.slice() : draw(pFuture)) : [];
    const noiseSeed = rng.seed31();

    const loss = tf.tidy(() => {
      const noise = tf.randomNormal(current.shape, 0, 1, 'float32', noiseSeed);
      const xt = tf.add(
        tf.mul(perSample(schedule.sqrtAlphasCumprod, t, 4), current),
        tf.mul(perSample(schedule.sqrtOneMinusAlphasCumprod, t, 4), noise),
      ) as tf.Tensor4D;
      const parts: tf.Tensor4D[] = [];
      if (past) parts.push(tf.mul(past, tf.tensor(maskPast, [B, 1, 1, 1], 'float32')));
      if (future) parts.push(tf.mul(future, tf.tensor(maskFuture, [B, 1, 1, 1], 'float32')));
      const cond = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : tf.concat(parts, 3);
      const out = denoiser(xt, t, cond);
      if (!(out instanceof tf.Tensor) || out.shape.some((d, i) => d !== current.shape[i]) || out.rank !== 4) {
        fail(`denoiser returned shape [${(out as tf.Tensor | undefined)?.shape}], expected [${current.shape}]`);
      }
      // the schedule's parameterisation: ε, or v = √ᾱ_t·ε − √(1−ᾱ_t)·x0
      const target =
        schedule.prediction === 'eps'
          ? noise
          : tf.sub(
              tf.mul(perSample(schedule.sqrtAlphasCumprod, t, 4), noise),
              tf.mul(perSample(schedule.sqrtOneMinusAlphasCumprod, t, 4), current),
            );
      const sq = tf.square(tf.sub(target, out));
      if (reduction === 'mean') return tf.mean(sq) as tf.Scalar;
      return tf.mul(tf.mean(tf.sum(sq, [1, 2, 3])), 0.5) as tf.Scalar;
    });
    return { loss, t, maskPast, maskFuture };
  } finally {
    tf.dispose(stacked);
  }
}
