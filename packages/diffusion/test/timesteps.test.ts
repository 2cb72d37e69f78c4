import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { NoiseSchedule } from '../src/schedule';
import { fromMcvdLabel, mcvdLabel, samplingPlan, withMcvdLabels } from '../src/samplers';
import { ddpmCoefficients } from '../src/samplers';
import { useCpu } from '../../../test-utils/tf';

const sched = new NoiseSchedule();

describe('MCVD label convention', () => {
  it('maps t <-> T-1-t and is its own inverse', () => {
    expect(mcvdLabel(0, 1000)).toBe(999);
    expect(mcvdLabel(999, 1000)).toBe(0);
    for (const t of [0, 5, 500, 999]) expect(fromMcvdLabel(mcvdLabel(t, 1000), 1000)).toBe(t);
    expect(() => mcvdLabel(1000, 1000)).toThrow(/t must be an integer in \[0, 999\]/);
    expect(() => fromMcvdLabel(-1, 1000)).toThrow(/MCVD label/);
  });

  it("MCVD's own alphas (descending betas, product from the clean end) equal alphasCumprod at the mapped t", () => {
    // docs/mcvd-reference.md §6: betas = linspace(0.02, 0.0001, 1000); alphas[i] = prod_{j >= i} (1 - betas[j]).
    const T = 1000;
    const betas = Array.from({ length: T }, (_, i) => 0.02 + (i * (0.0001 - 0.02)) / (T - 1));
    const alphas = new Array<number>(T);
    let prod = 1;
    for (let i = T - 1; i >= 0; i--) {
      prod *= 1 - betas[i];
      alphas[i] = prod;
    }
    let worst = 0;
    for (let i = 0; i < T; i++) {
      worst = Math.max(worst, Math.abs(alphas[i] - sched.alphasCumprod[fromMcvdLabel(i, T)]) / alphas[i]);
    }
    expect(worst).toBeLessThan(1e-12);
    expect(alphas[0]).toBeCloseTo(4.04e-5, 7); // label 0 is the noisiest
  });

  it('withMcvdLabels hands the network MCVD labels', async () => {
    await useCpu();
    const seen: number[][] = [];
    const d = withMcvdLabels((x, label) => {
      seen.push(label);
      return x;
    }, 1000);
    const x = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    d(x, [999, 0]);
    x.dispose();
    expect(seen).toEqual([[0, 999]]);
  });
});

describe('samplingPlan', () => {
  it("'mcvd' spacing visits MCVD labels 0, 10, ..., 990 (standard t 999 ... 9) for 100 steps", () => {
    const plan = samplingPlan(sched, { steps: 100, spacing: 'mcvd' });
    expect(plan.length).toBe(100);
    expect(plan.map((p) => mcvdLabel(p.t, 1000))).toEqual(Array.from({ length: 100 }, (_, k) => 10 * k));
    expect(plan[99].t).toBe(9);
    expect(plan[99].alphaBarPrev).toBe(1);
    plan.forEach((p, k) => {
      // docs/mcvd-reference.md §8: ā_prev,k = ā_{k+1}, β_k = 1 − ā_k/ā_prev,k
      expect(p.alphaBar).toBe(sched.alphasCumprod[p.t]);
      if (k < 99) expect(p.alphaBarPrev).toBe(sched.alphasCumprod[plan[k + 1].t]);
      expect(p.beta).toBeCloseTo(1 - p.alphaBar / p.alphaBarPrev, 15);
    });
  });

  it("'leading' spacing is range(0, T, T//S) reversed", () => {
    const plan = samplingPlan(sched, { steps: 10, spacing: 'leading' });
    expect(plan.map((p) => p.t)).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect(plan.map((p) => p.tPrev)).toEqual([800, 700, 600, 500, 400, 300, 200, 100, 0, -1]);
  });

  it('steps = T is plain DDPM: the posterior coefficients of the schedule, for both spacings', () => {
    for (const spacing of ['mcvd', 'leading'] as const) {
      const plan = samplingPlan(sched, { spacing });
      expect(plan.map((p) => p.t)).toEqual(Array.from({ length: 1000 }, (_, k) => 999 - k));
      let worst = 0;
      for (const p of plan) {
        const c = ddpmCoefficients(p);
        expect(p.beta).toBe(sched.betas[p.t]);
        worst = Math.max(
          worst,
          Math.abs(c.coefX0 - sched.posteriorMeanCoef1[p.t]) / sched.posteriorMeanCoef1[p.t],
          Math.abs(c.coefXt - sched.posteriorMeanCoef2[p.t]) / Math.max(sched.posteriorMeanCoef2[p.t], 1e-300),
          Math.abs(c.sigma ** 2 - sched.posteriorVariance[p.t]),
        );
      }
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it('handles T not divisible by steps and rejects bad options', () => {
    const s = NoiseSchedule.linear(10);
    expect(samplingPlan(s, { steps: 3, spacing: 'leading' }).map((p) => p.t)).toEqual([6, 3, 0]);
    expect(samplingPlan(s, { steps: 3, spacing: 'mcvd' }).map((p) => p.t)).toEqual([9, 6, 3]);
    expect(() => samplingPlan(s, { steps: 11 })).toThrow(/steps must be an integer in \[1, 10\]/);
    expect(() => samplingPlan(s, { steps: 0 })).toThrow(/steps/);
    expect(() => samplingPlan(s, { spacing: 'trailing' as never })).toThrow(/spacing/);
  });
});
