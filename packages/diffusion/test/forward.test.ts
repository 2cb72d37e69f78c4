import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadGolden, regenerate } from '../../../test-utils/golden';
import { leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { NoiseSchedule } from '../src/schedule';
import { addNoise, posteriorMeanVariance, predictX0FromEps } from '../src/forward';

beforeAll(useCpu);
const sched = new NoiseSchedule();

describe('forward maths on tensors (float32) vs golden forward_and_posterior_examples', () => {
  it('addNoise, posteriorMeanVariance and predictX0FromEps match at t = 0, 10, 500, 999', () => {
    const ex = loadGolden('ddpm_schedule.json').forward_and_posterior_examples;
    const cases = ex.cases as { t: number; x_t: number[]; posterior_mean: number[]; x0_reconstructed_from_eps: number[] }[];
    const B = cases.length;
    const x0v = regenerate(ex.x0_generation);
    const epsv = regenerate(ex.eps_generation);
    // batch of the 4 cases, each sample an [8] vector: per-sample t
    const x0 = tf.tensor2d(
      cases.flatMap(() => x0v),
      [B, 8],
    );
    const eps = tf.tensor2d(
      cases.flatMap(() => epsv),
      [B, 8],
    );
    const t = cases.map((c) => c.t);
    const xt = addNoise(sched, x0, t, eps);
    const xtGold = cases.flatMap((c) => c.x_t);
    const post = posteriorMeanVariance(sched, x0, xt, t);
    const rec = predictX0FromEps(sched, xt, tf.tensor1d(t, 'int32'), eps);
    const eXt = maxAbsDiff(xt.dataSync(), xtGold);
    const ePm = maxAbsDiff(
      post.mean.dataSync(),
      cases.flatMap((c) => c.posterior_mean),
    );
    // x0 = 157·x_t − 157·eps at t = 999: float32 rounding of x_t is amplified ~157x
    const eRec = maxAbsDiff(
      rec.dataSync(),
      cases.flatMap((c) => c.x0_reconstructed_from_eps),
    );
    console.log(
      `float32 forward vs golden: x_t ${eXt.toExponential(2)}, posterior mean ${ePm.toExponential(2)}, x0 ${eRec.toExponential(2)}`,
    );
    expect(eXt).toBeLessThan(5e-7);
    expect(ePm).toBeLessThan(5e-7);
    expect(eRec).toBeLessThan(1e-4);
    expect(post.variance.shape).toEqual([B, 1]);
    expect(Array.from(post.variance.dataSync())).toEqual(t.map((v) => Math.fround(sched.posteriorVariance[v])));
    expect(Array.from(post.logVarianceClipped.dataSync())).toEqual(
      t.map((v) => Math.fround(sched.posteriorLogVarianceClipped[v])),
    );
    tf.dispose([x0, eps, xt, post.mean, post.variance, post.logVarianceClipped, rec]);
  });

  it('addNoise has the right conditional distribution: mean √ᾱ·x0, variance 1−ᾱ', () => {
    const n = 40000;
    for (const t of [0, 250, 999]) {
      const c = 0.7;
      const x0 = tf.fill([4, n / 4], c);
      const noise = tf.randomNormal([4, n / 4], 0, 1, 'float32', 11 + t);
      const xt = addNoise(sched, x0, [t, t, t, t], noise);
      const v = xt.dataSync();
      let m = 0;
      for (const a of v) m += a;
      m /= n;
      let s2 = 0;
      for (const a of v) s2 += (a - m) ** 2;
      s2 /= n - 1;
      const ab = sched.alphasCumprod[t];
      const sd = Math.sqrt(1 - ab);
      // 5 standard errors: mean se = sd/√n, variance se ≈ sd²·√(2/n)
      expect(Math.abs(m - Math.sqrt(ab) * c)).toBeLessThan((5 * sd) / Math.sqrt(n));
      expect(Math.abs(s2 - (1 - ab))).toBeLessThan(5 * (1 - ab) * Math.sqrt(2 / n));
      tf.dispose([x0, noise, xt]);
    }
  });

  it('int32 tensor t equals number[] t, per sample; any rank works', () => {
    const x0 = tf.randomNormal([3, 2, 2, 2, 1], 0, 1, 'float32', 1);
    const z = tf.randomNormal([3, 2, 2, 2, 1], 0, 1, 'float32', 2);
    const a = addNoise(sched, x0, [0, 500, 999], z);
    const tt = tf.tensor1d([0, 500, 999], 'int32');
    const b = addNoise(sched, x0, tt, z);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    // sample 2 uses t = 999 only
    const s2 = tf.slice(a, [2], [1]);
    const manual = tf.add(
      tf.mul(tf.slice(x0, [2], [1]), Math.fround(sched.sqrtAlphasCumprod[999])),
      tf.mul(tf.slice(z, [2], [1]), Math.fround(sched.sqrtOneMinusAlphasCumprod[999])),
    );
    expect(maxAbsDiff(s2.dataSync(), manual.dataSync())).toBeLessThan(1e-6);
    expect(leakedTensors(() => addNoise(sched, x0, [1, 2, 3], z).dispose())).toBe(0);
    tf.dispose([x0, z, a, tt, b, s2, manual]);
  });

  it('rejects bad t and shapes with clear errors', () => {
    const x = tf.zeros([2, 3]);
    const y = tf.zeros([2, 4]);
    expect(() => addNoise(sched, x, [0], x)).toThrow(/t has 1 entries but the batch size is 2/);
    expect(() => addNoise(sched, x, [0, 1000], x)).toThrow(/t\[1\] must be an integer in \[0, 999\], got 1000/);
    expect(() => addNoise(sched, x, [0, 1.5], x)).toThrow(/t\[1\]/);
    expect(() => addNoise(sched, x, [0, 1], y)).toThrow(/x0 has shape \[2,3\] but noise has shape \[2,4\]/);
    const tf32 = tf.tensor1d([0, 1], 'float32');
    expect(() => addNoise(sched, x, tf32 as tf.Tensor1D, x)).toThrow(/1-D int32 tensor, got a float32/);
    expect(() => predictX0FromEps(sched, x, [0, 1], y)).toThrow(/xt has shape/);
    tf.dispose([x, y, tf32]);
  });
});
