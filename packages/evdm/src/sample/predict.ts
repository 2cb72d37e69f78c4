import * as tf from '@tensorflow/tfjs-core';
import { failWith, Rng, type Fail } from '@evdm/core';
import {
  ddimSample,
  ddpmSample,
  stackFrames,
  unstackFrames,
  type Denoiser,
  type NoiseSchedule,
  type StepSpacing,
} from '@evdm/diffusion';

/** How each block is sampled. Defaults: DDPM with 100 MCVD-spaced steps, x̂0 clipping (MCVD's scripts). */
export interface SamplerConfig {
  sampler: 'ddpm' | 'ddim';
  /** Denoiser calls per block, 1..T (T = all steps). */
  steps: number;
  /** DDIM only: 0 = deterministic. */
  eta: number;
  spacing: StepSpacing;
  clipX0: boolean;
}

export const DEFAULT_SAMPLER: SamplerConfig = { sampler: 'ddpm', steps: 100, eta: 0, spacing: 'mcvd', clipX0: true };

/** Frame counts and image geometry the denoiser was trained with (a `NetworkConfig` fits). */
export interface FrameLayout {
  pastFrames: number;
  currentFrames: number;
  futureFrames: number;
  imageSize: number;
  imageChannels: number;
}

export interface VideoSampleOptions {
  mode: 'predict' | 'interpolate' | 'generate';
  denoiser: Denoiser;
  schedule: NoiseSchedule;
  layout: FrameLayout;
  /** [B, pastFrames, H, W, C] in [-1, 1]: required for predict and interpolate. */
  past?: tf.Tensor5D;
  /** [B, futureFrames, H, W, C]: required for interpolate. */
  future?: tf.Tensor5D;
  /** Frames to produce. predict/generate: any horizon (autoregressive roll-out); interpolate: currentFrames. */
  horizon?: number;
  /** Samples per input clip (N trajectories). Default 1. */
  trajectories?: number;
  /** Batch size for generate (no input clips). Default 1. */
  batch?: number;
  seed?: number;
  sampler?: Partial<SamplerConfig>;
  /** After each block: k = 1..blocks. */
  onBlock?: (k: number, blocks: number) => void;
  /** After each denoising step: `done` of `total` steps over all blocks (total = blocks × steps). */
  onStep?: (done: number, total: number) => void;
}

const fail: Fail = failWith('sampleVideo');

function resolveSampler(s: Partial<SamplerConfig> = {}, T: number): SamplerConfig {
  const c = { ...DEFAULT_SAMPLER, ...s };
  if (c.sampler !== 'ddpm' && c.sampler !== 'ddim') fail(`sampler must be "ddpm" or "ddim", got ${JSON.stringify(c.sampler)}`);
  if (!Number.isInteger(c.steps) || c.steps < 1 || c.steps > T)
    fail(`sampler steps must be an integer in [1, ${T}], got ${c.steps}`);
  if (!(c.eta >= 0)) fail(`eta must be >= 0, got ${c.eta}`);
  return c;
}

function checkFrames(name: string, x: tf.Tensor | undefined, frames: number, L: FrameLayout): tf.Tensor5D {
  if (!(x instanceof tf.Tensor)) fail(`${name} frames are required for this mode`);
  const s = x.shape;
  if (x.rank !== 5 || s[1] !== frames || s[2] !== L.imageSize || s[3] !== L.imageSize || s[4] !== L.imageChannels) {
    fail(`${name} must be [B, ${frames}, ${L.imageSize}, ${L.imageSize}, ${L.imageChannels}], got [${s}]`);
  }
  return x as tf.Tensor5D;
}

/** Repeats every clip N times along the batch: sample b·N + n is trajectory n of clip b. */
function repeatEach(x: tf.Tensor5D, n: number): tf.Tensor5D {
  if (n === 1) return tf.clone(x);
  const idx = Array.from({ length: x.shape[0] * n }, (_, i) => Math.floor(i / n));
  return tf.tidy(() => tf.gather(x, tf.tensor1d(idx, 'int32')) as tf.Tensor5D);
}

/**
 * Samples videos with one conditional denoiser (docs/mcvd-reference.md §8):
 * - `predict`: blocks of `currentFrames` until `horizon` frames exist; each block is conditioned on
 *   the last `pastFrames` frames of [past, generated so far] (fresh noise per block), surplus frames
 *   are cut. A model that also takes future frames gets them masked (zeros), as in training.
 * - `interpolate`: one block conditioned on past and future.
 * - `generate`: the first block with all conditions masked (zeros), then roll-out as in predict.
 * Returns [B·N, horizon, H, W, C] in [-1, 1] (sample b·N + n = trajectory n of input b), owned by the caller.
 * Deterministic for a given seed.
 */
export function sampleVideo(o: VideoSampleOptions): tf.Tensor5D {
  if (!o || typeof o !== 'object') fail('options object required');
  if (typeof o.denoiser !== 'function') fail('denoiser must be a function (xt, t, cond) => eps');
  const L = o.layout;
  const sc = resolveSampler(o.sampler, o.schedule.T);
  const N = o.trajectories ?? 1;
  if (!Number.isInteger(N) || N < 1) fail(`trajectories must be a positive integer, got ${N}`);
  const { pastFrames: P, currentFrames: K, futureFrames: F, imageSize: S, imageChannels: C } = L;
  const mode = o.mode;
  let horizon = o.horizon ?? K;
  if (!Number.isInteger(horizon) || horizon < 1) fail(`horizon must be a positive integer, got ${horizon}`);
  let B: number;
  if (mode === 'predict') {
    if (P === 0) fail('predict needs a model with past frames (pastFrames = 0)');
    B = checkFrames('past', o.past, P, L).shape[0];
  } else if (mode === 'interpolate') {
    if (P === 0 || F === 0) fail(`interpolate needs a model with past and future frames (has ${P} past, ${F} future)`);
    B = checkFrames('past', o.past, P, L).shape[0];
    if (checkFrames('future', o.future, F, L).shape[0] !== B) fail(`past and future have different batch sizes`);
    if (o.horizon !== undefined && o.horizon !== K)
      fail(`interpolate produces exactly currentFrames = ${K} frames, got horizon ${o.horizon}`);
    horizon = K;
  } else if (mode === 'generate') {
    B = o.batch ?? 1;
    if (!Number.isInteger(B) || B < 1) fail(`batch must be a positive integer, got ${B}`);
    if (horizon > K && K < P)
      fail(`generate beyond one block needs currentFrames (${K}) >= pastFrames (${P}) to condition the roll-out`);
  } else {
    return fail(`mode must be "predict", "interpolate" or "generate", got ${JSON.stringify(mode)}`);
  }

  const rng = new Rng(o.seed ?? 0, 3);
  const M = B * N;
  const blocks = Math.ceil(horizon / K);
  const zeros = (frames: number) => tf.zeros([M, frames, S, S, C]) as tf.Tensor5D;
  // history: every frame the roll-out may condition on, [M, frames, H, W, C]
  let history: tf.Tensor5D | null = mode === 'generate' ? null : repeatEach(o.past!, N);
  const futureRep = mode === 'interpolate' ? repeatEach(o.future!, N) : null;
  const produced: tf.Tensor5D[] = [];
  try {
    for (let k = 0; k < blocks; k++) {
      const condParts: tf.Tensor5D[] = [];
      if (P > 0) {
        if (history === null) condParts.push(zeros(P));
        else {
          const h = history.shape[1];
          condParts.push(tf.slice(history, [0, h - P, 0, 0, 0], [M, P, S, S, C]));
        }
      }
      if (F > 0) condParts.push(futureRep ? tf.clone(futureRep) : zeros(F));
      const cond =
        condParts.length === 0
          ? undefined
          : tf.tidy(() => stackFrames(condParts.length === 1 ? condParts[0] : (tf.concat(condParts, 1) as tf.Tensor5D)));
      tf.dispose(condParts);
      let block: tf.Tensor5D;
      try {
        const common = {
          schedule: o.schedule,
          denoiser: o.denoiser,
          shape: [M, S, S, K * C] as [number, number, number, number],
          cond,
          clipX0: sc.clipX0,
          steps: sc.steps,
          spacing: sc.spacing,
          seed: rng.seed31(),
          onStep: o.onStep ? (i: number) => o.onStep!(k * sc.steps + i, blocks * sc.steps) : undefined,
        };
        const x = sc.sampler === 'ddim' ? ddimSample({ ...common, eta: sc.eta }) : ddpmSample(common);
        block = unstackFrames(x, K);
        x.dispose();
      } finally {
        cond?.dispose();
      }
      produced.push(block);
      const next: tf.Tensor5D = history === null ? tf.clone(block) : (tf.concat([history, block], 1) as tf.Tensor5D);
      // keep only what the next block can condition on
      const keep = Math.min(next.shape[1], Math.max(P, 1));
      const trimmed = tf.slice(next, [0, next.shape[1] - keep, 0, 0, 0], [M, keep, S, S, C]) as tf.Tensor5D;
      next.dispose();
      history?.dispose();
      history = trimmed;
      o.onBlock?.(k + 1, blocks);
    }
    return tf.tidy(() => {
      const all = produced.length === 1 ? produced[0] : (tf.concat(produced, 1) as tf.Tensor5D);
      return tf.slice(all, [0, 0, 0, 0, 0], [M, horizon, S, S, C]) as tf.Tensor5D;
    });
  } finally {
    tf.dispose(produced);
    history?.dispose();
    futureRep?.dispose();
  }
}
