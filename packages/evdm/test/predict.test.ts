// Video sampling: roll-out conditioning rule, interpolation and generation with closed-form denoisers.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { NoiseSchedule, type Denoiser } from '@evdm/diffusion';
import { Rng } from '@evdm/core';
import { maxAbsDiff as maxAbsDiffArrays, useCpu } from '../../../test-utils/tf';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return maxAbsDiffArrays(a.dataSync(), b.dataSync());
}
import { sampleVideo, type FrameLayout } from '../src/sample/predict';
import { samplingProgress } from '../src/sample/progress';

const schedule = new NoiseSchedule({});
const S = 4;

/**
 * The exact denoiser of a deterministic target: ε̂ = (x_t − √ᾱ_t·x0(cond)) / √(1 − ᾱ_t), so every
 * sampler's final x̂0 is x0(cond) itself (up to float rounding).
 */
function exactDenoiser(
  x0: (cond: tf.Tensor4D | undefined, shape: number[]) => tf.Tensor4D,
  calls?: Array<tf.Tensor4D | undefined>,
): Denoiser {
  return (xt, t, cond) =>
    tf.tidy(() => {
      if (calls && !calls.includes(cond)) calls.push(cond);
      const a = schedule.sqrtAlphasCumprod[t[0]];
      const s = schedule.sqrtOneMinusAlphasCumprod[t[0]];
      return tf.div(tf.sub(xt, tf.mul(x0(cond, xt.shape), a)), s) as tf.Tensor4D;
    });
}

/** Linear extrapolation of the two conditioning frames: frame j of the block = last + (j+1)·(last − prev). */
const extrapolate = (K: number) =>
  exactDenoiser((cond) => {
    const prev = tf.slice(cond!, [0, 0, 0, 0], [-1, -1, -1, 1]);
    const last = tf.slice(cond!, [0, 0, 0, 1], [-1, -1, -1, 1]);
    const d = tf.sub(last, prev);
    return tf.concat(
      Array.from({ length: K }, (_, j) => tf.add(last, tf.mul(d, j + 1))),
      3,
    ) as tf.Tensor4D;
  });

function ramp(B: number, frames: number, a: number, d: number, seed: number): tf.Tensor5D {
  const r = new Rng(seed);
  const base = Array.from({ length: B * S * S }, () => a + 0.1 * r.uniform());
  const v: number[] = [];
  for (let b = 0; b < B; b++)
    for (let f = 0; f < frames; f++) for (let p = 0; p < S * S; p++) v.push(base[b * S * S + p] + d * f);
  return tf.tensor5d(v, [B, frames, S, S, 1]);
}

describe('sampleVideo', () => {
  beforeAll(useCpu);
  const layout: FrameLayout = { pastFrames: 2, currentFrames: 2, futureFrames: 0, imageSize: S, imageChannels: 1 };

  for (const sampler of ['ddpm', 'ddim'] as const) {
    it(`${sampler}: roll-out to horizon 5 conditions every block on the last 2 frames of [past, generated]`, () => {
      const past = ramp(2, 2, -0.8, 0.05, 1);
      const before = tf.memory().numTensors;
      const out = sampleVideo({
        mode: 'predict',
        denoiser: extrapolate(2),
        schedule,
        layout,
        past,
        horizon: 5,
        trajectories: 3,
        seed: 4,
        sampler: { sampler, steps: 10 },
      });
      expect(out.shape).toEqual([6, 5, S, S, 1]);
      // the ramp continues: predicted frame k (1-based) = first past frame + (1 + k)·d, for every trajectory
      const expected = tf.tidy(() => {
        const first = tf.slice(tf.gather(past, [0, 0, 0, 1, 1, 1]), [0, 0, 0, 0, 0], [-1, 1, -1, -1, -1]);
        return tf.concat(
          [1, 2, 3, 4, 5].map((k) => tf.add(first, 0.05 * (1 + k))),
          1,
        );
      });
      expect(maxAbsDiff(out, expected)).toBeLessThan(1e-4);
      tf.dispose([out, expected]);
      expect(tf.memory().numTensors).toBe(before);
      past.dispose();
    });
  }

  it('interpolation sees past and future; a prediction with an interpolation model gets the future masked to zeros', () => {
    const L: FrameLayout = { pastFrames: 1, currentFrames: 1, futureFrames: 1, imageSize: S, imageChannels: 1 };
    const mid = exactDenoiser(
      (cond) =>
        tf.mul(
          tf.add(tf.slice(cond!, [0, 0, 0, 0], [-1, -1, -1, 1]), tf.slice(cond!, [0, 0, 0, 1], [-1, -1, -1, 1])),
          0.5,
        ) as tf.Tensor4D,
    );
    const past = ramp(1, 1, -0.5, 0, 2);
    const future = ramp(1, 1, 0.3, 0, 3);
    const out = sampleVideo({
      mode: 'interpolate',
      denoiser: mid,
      schedule,
      layout: L,
      past,
      future,
      seed: 1,
      sampler: { sampler: 'ddim', steps: 5 },
    });
    const want = tf.mul(tf.add(past, future), 0.5);
    expect(out.shape).toEqual([1, 1, S, S, 1]);
    expect(maxAbsDiff(out, want)).toBeLessThan(1e-4);
    // predict with the same model: future slot is zero, so the "midpoint" is past / 2
    const pred = sampleVideo({
      mode: 'predict',
      denoiser: mid,
      schedule,
      layout: L,
      past,
      horizon: 2,
      seed: 1,
      sampler: { sampler: 'ddim', steps: 5 },
    });
    expect(maxAbsDiff(tf.slice(pred, [0, 0, 0, 0, 0], [1, 1, S, S, 1]), tf.mul(past, 0.5))).toBeLessThan(1e-4);
    expect(maxAbsDiff(tf.slice(pred, [0, 1, 0, 0, 0], [1, 1, S, S, 1]), tf.mul(past, 0.25))).toBeLessThan(1e-4);
    tf.dispose([past, future, out, want, pred]);
  });

  it('generation masks all conditions for the first block, then rolls out; seeded runs repeat exactly', () => {
    // x0 = mean of the conditioning + 0.2: first block 0.2 (cond = zeros), then 0.4, 0.6
    const plus = exactDenoiser((cond, shape) => tf.add(tf.add(tf.mean(cond!, 3, true), tf.zeros(shape)), 0.2) as tf.Tensor4D);
    const L: FrameLayout = { pastFrames: 1, currentFrames: 1, futureFrames: 0, imageSize: S, imageChannels: 1 };
    const out = sampleVideo({
      mode: 'generate',
      denoiser: plus,
      schedule,
      layout: L,
      batch: 2,
      horizon: 3,
      seed: 9,
      sampler: { steps: 20 },
    });
    const vals = Array.from(tf.mean(out, [0, 2, 3, 4]).dataSync());
    vals.forEach((v, i) => expect(v).toBeCloseTo(0.2 * (i + 1), 4));
    out.dispose();
    // a real stochastic denoiser: same seed → identical, other seed → different
    const noisy: Denoiser = (xt) => tf.mul(xt, 0.5) as tf.Tensor4D;
    const run = (seed: number) => {
      const x = sampleVideo({
        mode: 'generate',
        denoiser: noisy,
        schedule,
        layout: L,
        batch: 1,
        horizon: 2,
        seed,
        sampler: { steps: 10 },
      });
      const d = x.dataSync().slice();
      x.dispose();
      return Array.from(d);
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('reports every denoising step over all roll-out blocks; the plain progress log prints every 10%', () => {
    const L: FrameLayout = { pastFrames: 1, currentFrames: 1, futureFrames: 0, imageSize: S, imageChannels: 1 };
    const seen: Array<[number, number]> = [];
    const lines: string[] = [];
    const progress = samplingProgress('sampling', (l) => lines.push(l), false);
    const x = sampleVideo({
      mode: 'generate',
      denoiser: (xt) => tf.mul(xt, 0.5) as tf.Tensor4D,
      schedule,
      layout: L,
      horizon: 3,
      sampler: { steps: 20 },
      onStep: (done, total) => {
        seen.push([done, total]);
        progress.onStep(done, total);
      },
    });
    progress.stop();
    x.dispose();
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => [i + 1, 60]));
    expect(lines.length).toBe(10);
    expect(lines[9]).toMatch(/^sampling: 60\/60 steps \(\d+s\)$/);
    expect(lines[0]).toMatch(/^sampling: 6\/60 steps \(\d+s, ETA \d+s\)$/);
  });

  it('rejects bad inputs with clear messages', () => {
    const past = ramp(1, 3, 0, 0, 1);
    const base = { denoiser: extrapolate(2), schedule, layout };
    expect(() => sampleVideo({ ...base, mode: 'predict', past })).toThrow(/past must be \[B, 2, 4, 4, 1\], got \[1,3,4,4,1\]/);
    expect(() => sampleVideo({ ...base, mode: 'predict' })).toThrow(/past frames are required/);
    expect(() => sampleVideo({ ...base, mode: 'interpolate', past })).toThrow(/interpolate needs a model with past and future/);
    expect(() => sampleVideo({ ...base, mode: 'generate', sampler: { steps: 0 } })).toThrow(
      /steps must be an integer in \[1, 1000\]/,
    );
    expect(() => sampleVideo({ ...base, mode: 'nope' as never })).toThrow(/mode must be/);
    past.dispose();
  });
});
