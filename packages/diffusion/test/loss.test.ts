import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@evdm/core';
import { leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { NoiseSchedule } from '../src/schedule';
import { maskedConditioningLoss } from '../src/loss';
import { stackFrames } from '../src/layout';
import type { Denoiser } from '../src/samplers';

beforeAll(useCpu);
const sched = new NoiseSchedule();
const [B, H, W, C] = [6, 4, 4, 1];
const frames = (n: number, seed: number, b = B) => tf.randomUniform([b, n, H, W, C], -1, 1, 'float32', seed) as tf.Tensor5D;

/** A denoiser that records what it was given (cloned and kept) and answers zeros. */
function recorder() {
  const seen: { xt: tf.Tensor4D; t: number[]; cond?: tf.Tensor4D }[] = [];
  const den: Denoiser = (xt, t, cond) => {
    seen.push({ xt: tf.keep(tf.clone(xt)), t, cond: cond && tf.keep(tf.clone(cond)) });
    return tf.zerosLike(xt);
  };
  const dispose = () => seen.forEach((s) => tf.dispose([s.xt, ...(s.cond ? [s.cond] : [])]));
  return { seen, den, dispose };
}

/** Per-sample max |x| of a [B, ...] tensor. */
function perSampleMaxAbs(x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.max(tf.abs(tf.reshape(x, [x.shape[0], -1])), 1).dataSync()));
}

describe('maskedConditioningLoss (Eq. 7)', () => {
  const past = frames(2, 1);
  const current = frames(3, 2);
  const future = frames(2, 3);

  it('p = 0 keeps every frame: cond = [past | future] stacked frame-major, past first', () => {
    const r = recorder();
    const res = maskedConditioningLoss({
      schedule: sched,
      denoiser: r.den,
      past,
      current,
      future,
      rng: new Rng(1),
      maskProbPast: 0,
      maskProbFuture: 0,
    });
    expect(res.maskPast).toEqual(new Array(B).fill(1));
    expect(res.maskFuture).toEqual(new Array(B).fill(1));
    const want = tf.concat([stackFrames(past), stackFrames(future)], 3);
    expect(r.seen[0].cond!.shape).toEqual([B, H, W, 4 * C]);
    expect(maxAbsDiff(r.seen[0].cond!.dataSync(), want.dataSync())).toBe(0);
    tf.dispose([want, res.loss]);
    r.dispose();
  });

  it('p = 1 zeroes every conditioning frame', () => {
    const r = recorder();
    const res = maskedConditioningLoss({
      schedule: sched,
      denoiser: r.den,
      past,
      current,
      future,
      rng: new Rng(1),
      maskProbPast: 1,
      maskProbFuture: 1,
    });
    expect(res.maskPast).toEqual(new Array(B).fill(0));
    expect(res.maskFuture).toEqual(new Array(B).fill(0));
    expect(perSampleMaxAbs(r.seen[0].cond!)).toEqual(new Array(B).fill(0));
    res.loss.dispose();
    r.dispose();
  });

  it('masks are per sample, Bernoulli(0.5), independent unless syncMask; masked samples are exactly zero', () => {
    const n = 400;
    const p = tf.ones([n, 1, 1, 2]) as tf.Tensor4D;
    const f = tf.ones([n, 1, 1, 1]) as tf.Tensor4D;
    const x = tf.zeros([n, 1, 1, 1]) as tf.Tensor4D;
    const r = recorder();
    const res = maskedConditioningLoss({ schedule: sched, denoiser: r.den, past: p, current: x, future: f, rng: new Rng(5) });
    const keptP = res.maskPast.reduce((a, b) => a + b, 0) / n;
    const keptF = res.maskFuture.reduce((a, b) => a + b, 0) / n;
    const agree = res.maskPast.filter((m, i) => m === res.maskFuture[i]).length / n;
    // 5 standard errors of a Bernoulli(0.5) mean over 400 draws = 0.125
    expect(Math.abs(keptP - 0.5)).toBeLessThan(0.125);
    expect(Math.abs(keptF - 0.5)).toBeLessThan(0.125);
    expect(Math.abs(agree - 0.5)).toBeLessThan(0.125); // independent masks agree half the time
    const cond = r.seen[0].cond!.arraySync();
    for (let i = 0; i < n; i++) expect(cond[i][0][0]).toEqual([res.maskPast[i], res.maskPast[i], res.maskFuture[i]]);
    res.loss.dispose();
    const rs = recorder();
    const sync = maskedConditioningLoss({
      schedule: sched,
      denoiser: rs.den,
      past: p,
      current: x,
      future: f,
      rng: new Rng(5),
      syncMask: true,
      maskProbPast: 0.3,
      maskProbFuture: 0.3,
    });
    expect(sync.maskFuture).toEqual(sync.maskPast);
    expect(Math.abs(sync.maskPast.reduce((a, b) => a + b, 0) / n - 0.7)).toBeLessThan(0.12);
    sync.loss.dispose();
    expect(() =>
      maskedConditioningLoss({
        schedule: sched,
        denoiser: rs.den,
        past: p,
        current: x,
        future: f,
        rng: new Rng(5),
        syncMask: true,
        maskProbPast: 0.5,
        maskProbFuture: 0.2,
      }),
    ).toThrow(/syncMask needs maskProbPast === maskProbFuture, got 0.5 and 0.2/);
    tf.dispose([p, f, x]);
    r.dispose();
    rs.dispose();
  });

  it('only the current frames are noised: x_t = √ᾱ·x0 + √(1−ᾱ)·ε, so the exact ε gives zero loss', () => {
    const cur = stackFrames(current);
    let calls = 0;
    const exact: Denoiser = (xt, t, cond) => {
      calls++;
      expect(cond!.shape).toEqual([B, H, W, 2 * C]);
      const a = tf.tensor(
        t.map((v) => sched.sqrtAlphasCumprod[v]),
        [B, 1, 1, 1],
      );
      const s = tf.tensor(
        t.map((v) => sched.sqrtOneMinusAlphasCumprod[v]),
        [B, 1, 1, 1],
      );
      return tf.div(tf.sub(xt, tf.mul(a, cur)), s) as tf.Tensor4D;
    };
    const res = maskedConditioningLoss({ schedule: sched, denoiser: exact, past, current, rng: new Rng(3), reduction: 'mean' });
    expect(calls).toBe(1);
    expect(res.t.every((v) => Number.isInteger(v) && v >= 0 && v < 1000)).toBe(true);
    // float32 cancellation is worst at small t (√(1−ᾱ) ≈ 0.01); relative to E[ε²] = 1
    expect(res.loss.dataSync()[0]).toBeLessThan(1e-6);
    // a zero predictor instead gives E[ε²] ≈ 1
    const zero = maskedConditioningLoss({ schedule: sched, denoiser: (x) => tf.zerosLike(x), past, current, rng: new Rng(3) });
    expect(Math.abs(zero.loss.dataSync()[0] - 1)).toBeLessThan(0.25);
    tf.dispose([cur, res.loss, zero.loss]);
  });

  it("prediction 'v': the exact v = √ᾱ·ε − √(1−ᾱ)·x0 gives zero loss; the exact ε does not", () => {
    const vs = new NoiseSchedule({ prediction: 'v' });
    const cur = stackFrames(current);
    const coef = (table: Float64Array, t: number[]) =>
      tf.tensor(
        t.map((v) => table[v]),
        [B, 1, 1, 1],
      );
    // from x_t and the known x0: ε = (x_t − √ᾱ·x0)/√(1−ᾱ), then v
    const epsOf = (xt: tf.Tensor4D, t: number[]) =>
      tf.div(tf.sub(xt, tf.mul(coef(vs.sqrtAlphasCumprod, t), cur)), coef(vs.sqrtOneMinusAlphasCumprod, t));
    const exactV: Denoiser = (xt, t) =>
      tf.sub(
        tf.mul(coef(vs.sqrtAlphasCumprod, t), epsOf(xt, t)),
        tf.mul(coef(vs.sqrtOneMinusAlphasCumprod, t), cur),
      ) as tf.Tensor4D;
    const exactEps: Denoiser = (xt, t) => epsOf(xt, t) as tf.Tensor4D;
    const v = maskedConditioningLoss({ schedule: vs, denoiser: exactV, past, current, rng: new Rng(3) });
    const e = maskedConditioningLoss({ schedule: vs, denoiser: exactEps, past, current, rng: new Rng(3) });
    expect(v.loss.dataSync()[0]).toBeLessThan(1e-6);
    expect(e.loss.dataSync()[0]).toBeGreaterThan(1e-2);
    tf.dispose([cur, v.loss, e.loss]);
  });

  it("'mcvd-sum' = ½·(H·W·C_current)·'mean' for the same draws; seeded runs repeat exactly", () => {
    const den: Denoiser = (xt) => tf.mul(xt, 0.3) as tf.Tensor4D;
    const a = maskedConditioningLoss({
      schedule: sched,
      denoiser: den,
      past,
      current,
      future,
      rng: new Rng(9),
      reduction: 'mean',
    });
    const b = maskedConditioningLoss({
      schedule: sched,
      denoiser: den,
      past,
      current,
      future,
      rng: new Rng(9),
      reduction: 'mcvd-sum',
    });
    const c = maskedConditioningLoss({
      schedule: sched,
      denoiser: den,
      past,
      current,
      future,
      rng: new Rng(9),
      reduction: 'mean',
    });
    expect([b.t, b.maskPast, b.maskFuture]).toEqual([a.t, a.maskPast, a.maskFuture]);
    const per = H * W * 3 * C;
    expect(b.loss.dataSync()[0] / a.loss.dataSync()[0]).toBeCloseTo(per / 2, 3);
    expect(c.loss.dataSync()[0]).toBe(a.loss.dataSync()[0]);
    const d = maskedConditioningLoss({ schedule: sched, denoiser: den, past, current, future, rng: new Rng(10) });
    expect(d.t).not.toEqual(a.t);
    tf.dispose([a.loss, b.loss, c.loss, d.loss]);
  });

  it('t is uniform over 0..T−1 per sample', () => {
    const s = NoiseSchedule.linear(4);
    const x = tf.zeros([2000, 1, 1, 1]) as tf.Tensor4D;
    const res = maskedConditioningLoss({ schedule: s, denoiser: (v) => tf.zerosLike(v), current: x, rng: new Rng(2) });
    const counts = [0, 1, 2, 3].map((k) => res.t.filter((v) => v === k).length);
    // each count ~ Binomial(2000, 1/4): sd ≈ 19.4
    counts.forEach((n) => expect(Math.abs(n - 500)).toBeLessThan(100));
    tf.dispose([x, res.loss]);
  });

  it('is differentiable w.r.t. the denoiser weights (finite differences on a 1×1-conv denoiser)', () => {
    // ε̂ = conv1x1([x_t | cond], w): inputs 3 current + 2 past + 2 future channels → 3
    const w = tf.variable(tf.randomNormal([1, 1, 7, 3], 0, 0.3, 'float32', 4)) as tf.Variable<tf.Rank.R4>;
    const den: Denoiser = (xt, _t, cond) => tf.conv2d(tf.concat([xt, cond!], 3), w, 1, 'same') as tf.Tensor4D;
    for (const reduction of ['mean', 'mcvd-sum'] as const) {
      const lossAt = () =>
        maskedConditioningLoss({
          schedule: sched,
          denoiser: den,
          past,
          current,
          future,
          rng: new Rng(21),
          reduction,
          maskProbPast: 0.3,
          maskProbFuture: 0.3,
        }).loss;
      const { value, grads } = tf.variableGrads(lossAt, [w]);
      const g = grads[w.name].dataSync().slice();
      const base = w.dataSync().slice();
      const eps = 1e-2;
      let worst = 0;
      for (const idx of [0, 4, 8, 13, 17, 20]) {
        const at = (d: number) => {
          const v = base.slice();
          v[idx] += d;
          w.assign(tf.tensor4d(v, [1, 1, 7, 3]));
          const l = lossAt();
          const out = l.dataSync()[0];
          l.dispose();
          return out;
        };
        // the loss is quadratic in w, so the central difference is exact up to float32 rounding
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - g[idx]) / Math.max(1e-3, Math.abs(g[idx])));
      }
      w.assign(tf.tensor4d(base, [1, 1, 7, 3]));
      console.log(`loss gradient (${reduction}) vs central differences: worst relative error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(2e-2);
      expect(Math.max(...Array.from(g).map(Math.abs))).toBeGreaterThan(0);
      tf.dispose([value, grads[w.name]]);
    }
    w.dispose();
  });

  it('leaks nothing across repeated calls (also inside variableGrads)', () => {
    const w = tf.variable(tf.fill([1, 1, 7, 3], 0.1)) as tf.Variable<tf.Rank.R4>;
    const den: Denoiser = (xt, _t, cond) => tf.conv2d(tf.concat([xt, cond!], 3), w, 1, 'same') as tf.Tensor4D;
    const rng = new Rng(1);
    expect(
      leakedTensors(
        () => maskedConditioningLoss({ schedule: sched, denoiser: den, past, current, future, rng }).loss.dispose(),
        5,
      ),
    ).toBe(0);
    expect(
      leakedTensors(() => {
        const { value, grads } = tf.variableGrads(
          () => maskedConditioningLoss({ schedule: sched, denoiser: den, past, current, future, rng }).loss,
          [w],
        );
        tf.dispose([value, ...Object.values(grads)]);
      }, 5),
    ).toBe(0);
    w.dispose();
  });

  it('rejects bad input with clear errors and leaks nothing when it does', () => {
    const den: Denoiser = (x) => tf.zerosLike(x);
    const rng = new Rng(1);
    const base = { schedule: sched, denoiser: den, current, rng };
    const wrongBatch = frames(2, 5, B + 1);
    const wrongRank = tf.zeros([2, 2]);
    const before = tf.memory().numTensors;
    expect(() => maskedConditioningLoss({ ...base, past: wrongBatch })).toThrow(
      /past has stacked shape \[7,4,4,2\] but current is \[6,4,4,3\]/,
    );
    expect(() => maskedConditioningLoss({ ...base, maskProbPast: 1.5 })).toThrow(
      /maskProbPast must be a probability in \[0, 1\], got 1.5/,
    );
    expect(() => maskedConditioningLoss({ ...base, reduction: 'sum' as never })).toThrow(
      /reduction must be 'mean' or 'mcvd-sum'/,
    );
    expect(() => maskedConditioningLoss({ ...base, rng: 3 as never })).toThrow(/rng must be an Rng/);
    expect(() => maskedConditioningLoss({ ...base, current: wrongRank as never })).toThrow(
      /current must be \[B, H, W, frames\*C\]/,
    );
    expect(() => maskedConditioningLoss({ ...base, denoiser: () => tf.zeros([1, 1, 1, 1]) as tf.Tensor4D })).toThrow(
      /denoiser returned shape \[1,1,1,1\], expected \[6,4,4,3\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([wrongBatch, wrongRank]);
  });
});
