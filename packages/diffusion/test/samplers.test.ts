import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@evdm/core';
import { flat, loadGolden, type FixtureJson } from '../../../test-utils/golden';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { NoiseSchedule } from '../src/schedule';
import { ddpmSample } from '../src/samplers';
import { ddimSample, type DdimOptions } from '../src/samplers';
import { mcvdLabel, samplingPlan, withMcvdLabels, type Denoiser, type PlanOptions } from '../src/samplers';
import { ddimCoefficients, ddpmCoefficients } from '../src/samplers';

beforeAll(useCpu);
const linear = new NoiseSchedule();
const cosine = NoiseSchedule.cosine();

/** Exact ε for a point mass at c: ε = (x_t − √ᾱ_t·c)/√(1−ᾱ_t). */
function pointMassDenoiser(s: NoiseSchedule, c: tf.Tensor4D): Denoiser {
  return (x, t) =>
    tf.tidy(() => {
      const ab = s.alphasCumprod[t[0]];
      return tf.div(tf.sub(x, tf.mul(c, Math.sqrt(ab))), Math.sqrt(1 - ab)) as tf.Tensor4D;
    });
}

/** Exact ε = E[ε | x_t] for data N(μ, s²) per element: √(1−ᾱ)(x − √ᾱμ)/(ᾱs² + 1 − ᾱ). */
function gaussianDenoiser(sc: NoiseSchedule, mu: number, s: number): Denoiser {
  return (x, t) =>
    tf.tidy(() => {
      const a = sc.alphasCumprod[t[0]];
      const v = a * s * s + 1 - a;
      return tf.mul(tf.sub(x, Math.sqrt(a) * mu), Math.sqrt(1 - a) / v) as tf.Tensor4D;
    });
}

function moments(v: ArrayLike<number>): { mean: number; variance: number } {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i];
  m /= v.length;
  let s2 = 0;
  for (let i = 0; i < v.length; i++) s2 += (v[i] - m) ** 2;
  return { mean: m, variance: s2 / (v.length - 1) };
}

describe('DDIM golden toy run on tensors', () => {
  const golden = loadGolden('ddpm_schedule.json');
  for (const [key, g] of Object.entries<FixtureJson>(golden.ddim)) {
    it(`${key}: ddimSample (float32) follows the float64 trajectory`, () => {
      const sched = g.schedule === 'linear_T1000' ? linear : cosine;
      const xT = tf.tensor4d(g.toy_run.x_T, [1, 1, 1, 8]);
      const seen: number[] = [];
      const toy: Denoiser = (x, t) => {
        seen.push(t[0]);
        return tf.mul(x, Math.sqrt(1 - sched.alphasCumprod[t[0]])) as tf.Tensor4D;
      };
      const out = ddimSample({
        schedule: sched,
        denoiser: toy,
        xT,
        steps: g.num_steps,
        spacing: 'leading',
        clipX0: false,
        eta: 0,
        seed: 1,
      });
      expect(seen).toEqual(g.steps_in_sampling_order.map((s: { t: number }) => s.t));
      const want = flat(g.toy_run.trajectory[g.num_steps]);
      const err = maxAbsDiff(out.dataSync(), want);
      console.log(
        `${key} toy run: float32 sampler vs float64 golden, max abs error ${err.toExponential(2)} (|x| <= ${Math.max(...want.map(Math.abs)).toFixed(2)})`,
      );
      expect(err).toBeLessThan(1e-4);
      expect(xT.isDisposed).toBe(false); // the caller's x_T is not consumed
      tf.dispose([xT, out]);
    });
  }
});

describe('closed-form denoisers', () => {
  const shape: [number, number, number, number] = [2, 4, 4, 3];
  const configs: [string, (o: DdimOptions) => tf.Tensor4D, PlanOptions & { eta?: number }][] = [
    ['DDPM 1000 steps', ddpmSample, {}],
    ['DDPM 100 steps mcvd', ddpmSample, { steps: 100, spacing: 'mcvd' }],
    ['DDPM 100 steps leading', ddpmSample, { steps: 100, spacing: 'leading' }],
    ['DDPM 7 steps', ddpmSample, { steps: 7 }],
    ['DDIM 100 steps eta 0', ddimSample, { steps: 100, eta: 0 }],
    ['DDIM 50 steps eta 1 leading', ddimSample, { steps: 50, eta: 1, spacing: 'leading' }],
    ['DDIM 10 steps eta 0.5', ddimSample, { steps: 10, eta: 0.5 }],
  ];

  for (const [name, sample, extra] of configs) {
    it(`${name}: a point mass at c is recovered exactly (clipped x̂0)`, () => {
      for (const sched of [linear, cosine]) {
        const c = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform(shape, 0, 1, 'float32', 3), 1.8), 0.9)) as tf.Tensor4D;
        const out = sample({ schedule: sched, denoiser: pointMassDenoiser(sched, c), shape, seed: 42, ...extra });
        const err = maxAbsDiff(out.dataSync(), c.dataSync());
        expect(err, `${sched.config.kind}`).toBeLessThan(2e-5);
        tf.dispose([c, out]);
      }
    });
  }

  /** The same exact ε, expressed as v = √ᾱ·ε̂ − √(1−ᾱ)·x̂0 for a v-parameterised schedule. */
  const asVelocity =
    (s: NoiseSchedule, eps: Denoiser): Denoiser =>
    (x, t, cond) =>
      tf.tidy(() => {
        const a = s.sqrtAlphasCumprod[t[0]];
        const b = s.sqrtOneMinusAlphasCumprod[t[0]];
        const e = eps(x, t, cond);
        const x0 = tf.div(tf.sub(x, tf.mul(e, b)), a);
        return tf.sub(tf.mul(e, a), tf.mul(x0, b)) as tf.Tensor4D;
      });

  for (const [name, sample, extra] of configs) {
    it(`${name}, prediction 'v': the v-form of the same denoiser gives the same samples`, () => {
      for (const kind of ['linear', 'cosine'] as const) {
        const epsSched = new NoiseSchedule({ kind });
        const vSched = new NoiseSchedule({ kind, prediction: 'v' });
        const c = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform(shape, 0, 1, 'float32', 3), 1.8), 0.9)) as tf.Tensor4D;
        const a = sample({ schedule: epsSched, denoiser: pointMassDenoiser(epsSched, c), shape, seed: 42, ...extra });
        const b = sample({
          schedule: vSched,
          denoiser: asVelocity(vSched, pointMassDenoiser(vSched, c)),
          shape,
          seed: 42,
          ...extra,
        });
        expect(maxAbsDiff(b.dataSync(), c.dataSync()), kind).toBeLessThan(2e-5);
        expect(maxAbsDiff(b.dataSync(), a.dataSync()), kind).toBeLessThan(2e-5);
        tf.dispose([c, a, b]);
      }
    });
  }

  /** Mean and variance of the sampler's output when ε̂ is linear in x (exact recursion of the update). */
  function predictedMoments(sched: NoiseSchedule, mu: number, s: number, kind: 'ddpm' | 'ddim', opts: PlanOptions, eta = 0) {
    const plan = samplingPlan(sched, opts);
    let m = 0;
    let v = 1;
    plan.forEach((p, k) => {
      const a = p.alphaBar;
      const vt = a * s * s + 1 - a;
      const ke = Math.sqrt(1 - a) / vt; // ε̂ = ke·x + be
      const be = (-Math.sqrt(1 - a) * Math.sqrt(a) * mu) / vt;
      const kx0 = (1 - Math.sqrt(1 - a) * ke) / Math.sqrt(a); // x̂0 = kx0·x + bx0
      const bx0 = (-Math.sqrt(1 - a) * be) / Math.sqrt(a);
      let A: number;
      let b: number;
      let sig: number;
      if (kind === 'ddpm') {
        const c = ddpmCoefficients(p);
        A = c.coefX0 * kx0 + c.coefXt;
        b = c.coefX0 * bx0;
        sig = k === plan.length - 1 ? 0 : c.sigma;
      } else {
        const c = ddimCoefficients(p, eta);
        A = c.sqrtAlphaBarPrev * kx0 + c.dirCoef * ke;
        b = c.sqrtAlphaBarPrev * bx0 + c.dirCoef * be;
        sig = c.sigma;
      }
      m = A * m + b;
      v = A * A * v + sig * sig;
    });
    return { mean: m, variance: v };
  }

  // Exact ε for Gaussian data makes every update linear in x, so the output is Gaussian with moments
  // given by the recursion above. Finite-step DDIM/DDPM are biased towards a smaller variance
  // (measured: DDIM 1000 steps −0.6 %, DDPM 1000 −1.6 %, DDIM 100 −5.7 %, DDPM 100 −12 % at s = 0.5);
  // 1000-step runs are also checked against N(μ, s²) itself.
  const gaussCases: [string, 'ddpm' | 'ddim', PlanOptions, number, number][] = [
    ['DDIM eta 0, 1000 steps', 'ddim', {}, 0, 0.01],
    ['DDPM 1000 steps', 'ddpm', {}, 0, 0.02],
    ['DDIM eta 0, 100 steps', 'ddim', { steps: 100 }, 0, 0.06],
    ['DDIM eta 1, 100 steps (leading)', 'ddim', { steps: 100, spacing: 'leading' }, 1, 0.13],
    ['DDPM 100 steps (mcvd spacing)', 'ddpm', { steps: 100 }, 0, 0.13],
  ];
  for (const [name, kind, opts, eta, bias] of gaussCases) {
    it(`${name}: Gaussian data N(μ, s²) with the exact ε gives the predicted Gaussian`, () => {
      const mu = 0.3;
      const s = 0.5;
      const shp: [number, number, number, number] = [2, 32, 32, 4];
      const n = shp.reduce((a, b) => a * b, 1);
      const den = gaussianDenoiser(linear, mu, s);
      const out = (kind === 'ddpm' ? ddpmSample : ddimSample)({
        schedule: linear,
        denoiser: den,
        shape: shp,
        seed: 7,
        clipX0: false,
        eta,
        ...opts,
      });
      const emp = moments(out.dataSync());
      const pred = predictedMoments(linear, mu, s, kind, opts, eta);
      console.log(
        `${name}: empirical mean ${emp.mean.toFixed(4)} var ${emp.variance.toFixed(4)}; discrete-chain prediction ${pred.mean.toFixed(4)} / ${pred.variance.toFixed(4)}; data ${mu} / ${s * s}`,
      );
      const seMean = Math.sqrt(pred.variance / n);
      const seVar = pred.variance * Math.sqrt(2 / n);
      // the samples follow the chain within 6 standard errors
      expect(Math.abs(emp.mean - pred.mean)).toBeLessThan(6 * seMean);
      expect(Math.abs(emp.variance - pred.variance)).toBeLessThan(6 * seVar);
      // the chain's own discretisation bias stays within the stated bound
      expect(Math.abs(pred.mean - mu)).toBeLessThan(2e-3);
      expect(pred.variance).toBeLessThan(s * s);
      expect((s * s - pred.variance) / (s * s)).toBeLessThan(bias);
      if (!opts.steps) {
        expect(Math.abs(emp.mean - mu)).toBeLessThan(6 * seMean + 2e-3);
        expect(Math.abs(emp.variance - s * s)).toBeLessThan(6 * seVar + bias * s * s);
      }
      out.dispose();
    });
  }

  it('DDIM with eta = 1 is DDPM ancestral sampling (same seed, no clipping)', () => {
    const den = gaussianDenoiser(linear, 0.1, 0.6);
    const shp: [number, number, number, number] = [2, 4, 4, 2];
    for (const opts of [{ steps: 100 }, { steps: 20, spacing: 'leading' as const }]) {
      const a = ddimSample({ schedule: linear, denoiser: den, shape: shp, seed: 11, eta: 1, clipX0: false, ...opts });
      const b = ddpmSample({ schedule: linear, denoiser: den, shape: shp, seed: 11, clipX0: false, ...opts });
      expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-4);
      tf.dispose([a, b]);
    }
  });
});

describe('sampler behaviour', () => {
  const shape: [number, number, number, number] = [2, 3, 3, 2];
  const den = gaussianDenoiser(linear, 0, 0.5);

  it('same seed gives identical output, another seed a different one; an Rng advances', () => {
    for (const sample of [ddpmSample, ddimSample] as ((o: DdimOptions) => tf.Tensor4D)[]) {
      const a = sample({ schedule: linear, denoiser: den, shape, steps: 20, seed: 5, eta: 1 });
      const b = sample({ schedule: linear, denoiser: den, shape, steps: 20, seed: 5, eta: 1 });
      const c = sample({ schedule: linear, denoiser: den, shape, steps: 20, seed: 6, eta: 1 });
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(1e-3);
      const r1 = new Rng(9);
      const r2 = new Rng(9);
      const d = sample({ schedule: linear, denoiser: den, shape, steps: 20, seed: r1, eta: 1 });
      const e = sample({ schedule: linear, denoiser: den, shape, steps: 20, seed: r2, eta: 1 });
      expect(Array.from(d.dataSync())).toEqual(Array.from(e.dataSync()));
      expect(r1.state()).toEqual(r2.state());
      expect(r1.state()).not.toEqual(new Rng(9).state());
      tf.dispose([a, b, c, d, e]);
    }
  });

  it('keeps memory flat across steps and leaves exactly the result', () => {
    for (const sample of [ddpmSample, ddimSample] as ((o: DdimOptions) => tf.Tensor4D)[]) {
      const counts: number[] = [];
      const before = tf.memory().numTensors;
      const out = sample({
        schedule: linear,
        denoiser: den,
        shape,
        steps: 50,
        seed: 1,
        eta: 1,
        onStep: () => counts.push(tf.memory().numTensors),
      });
      expect(counts.length).toBe(50);
      expect(new Set(counts).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before + 1);
      out.dispose();
    }
  });

  it('reports progress, passes cond through and calls the denoiser with per-sample standard t', () => {
    const cond = tf.ones([2, 3, 3, 5]) as tf.Tensor4D;
    const calls: { t: number[]; cond?: tf.Tensor4D }[] = [];
    const progress: [number, number, number][] = [];
    const out = ddpmSample({
      schedule: linear,
      denoiser: (x, t, c) => {
        calls.push({ t, cond: c });
        return tf.zerosLike(x);
      },
      shape,
      cond,
      steps: 4,
      seed: 1,
      onStep: (k, total, t) => progress.push([k, total, t]),
    });
    expect(calls.map((c) => c.t)).toEqual([
      [999, 999],
      [749, 749],
      [499, 499],
      [249, 249],
    ]);
    expect(calls.every((c) => c.cond === cond)).toBe(true);
    expect(progress).toEqual([
      [1, 4, 999],
      [2, 4, 749],
      [3, 4, 499],
      [4, 4, 249],
    ]);
    expect(cond.isDisposed).toBe(false);
    tf.dispose([cond, out]);
  });

  it('an MCVD-convention network sees labels 0, 10, ..., 990 through withMcvdLabels', () => {
    const labels: number[] = [];
    const net = (x: tf.Tensor4D, label: number[]) => {
      labels.push(label[0]);
      return tf.zerosLike(x) as tf.Tensor4D;
    };
    ddpmSample({ schedule: linear, denoiser: withMcvdLabels(net, 1000), shape, steps: 100, seed: 1 }).dispose();
    expect(labels).toEqual(Array.from({ length: 100 }, (_, k) => 10 * k));
  });

  it("finalDenoise 'mcvd' adds MCVD's extra call at label S−1 with the last step's ᾱ", () => {
    const c = tf.fill(shape, 0.25) as tf.Tensor4D;
    const ts: number[] = [];
    const pm = pointMassDenoiser(linear, c);
    const out = ddpmSample({
      schedule: linear,
      denoiser: (x, t) => (ts.push(t[0]), pm(x, t)),
      shape,
      steps: 100,
      seed: 3,
      finalDenoise: 'mcvd',
    });
    expect(ts.length).toBe(101);
    expect(mcvdLabel(ts[100], 1000)).toBe(99);
    // after the loop x = c; then x − √(1−ᾱ_9)·ε̂(c, t = 900)
    const a900 = linear.alphasCumprod[900];
    const epsHat = (0.25 - Math.sqrt(a900) * 0.25) / Math.sqrt(1 - a900);
    const want = 0.25 - Math.sqrt(1 - linear.alphasCumprod[9]) * epsHat;
    expect(maxAbsDiff(out.dataSync(), new Array(out.size).fill(want))).toBeLessThan(1e-5);
    tf.dispose([c, out]);
  });

  it('clipX0 clips x̂0 to [−1, 1]: a point mass at 1.5 ends at 1 with clipping, 1.5 without', () => {
    const c = tf.fill(shape, 1.5) as tf.Tensor4D;
    const den2 = pointMassDenoiser(linear, c);
    for (const sample of [ddpmSample, ddimSample] as ((o: DdimOptions) => tf.Tensor4D)[]) {
      const clipped = sample({ schedule: linear, denoiser: den2, shape, steps: 20, seed: 2 });
      const raw = sample({ schedule: linear, denoiser: den2, shape, steps: 20, seed: 2, clipX0: false });
      expect(maxAbsDiff(clipped.dataSync(), new Array(clipped.size).fill(1))).toBeLessThan(1e-5);
      expect(maxAbsDiff(raw.dataSync(), new Array(raw.size).fill(1.5))).toBeLessThan(1e-5);
      tf.dispose([clipped, raw]);
    }
    c.dispose();
  });

  it('rejects bad options with clear errors', () => {
    const base = { schedule: linear, denoiser: den, shape, seed: 1 };
    expect(() => ddpmSample({ ...base, steps: 1001 })).toThrow(/ddpmSample: steps must be an integer in \[1, 1000\]/);
    expect(() => ddimSample({ ...base, eta: -1 })).toThrow(/eta must be a finite number >= 0/);
    expect(() => ddpmSample({ ...base, shape: undefined })).toThrow(/shape must be \[B, H, W, C\]/);
    expect(() => ddpmSample({ ...base, schedule: {} as NoiseSchedule })).toThrow(/schedule must be a NoiseSchedule/);
    expect(() => ddpmSample({ ...base, seed: 1.5 })).toThrow(/seed must be an integer or an Rng/);
    const cond = tf.zeros([3, 3, 3, 1]) as tf.Tensor4D;
    expect(() => ddpmSample({ ...base, cond })).toThrow(/cond has shape \[3,3,3,1\]/);
    cond.dispose();
    const before = tf.memory().numTensors;
    expect(() => ddimSample({ ...base, denoiser: () => tf.zeros([1, 3, 3, 2]) as tf.Tensor4D })).toThrow(
      /denoiser returned shape \[1,3,3,2\] at t = 999, expected \[2,3,3,2\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
