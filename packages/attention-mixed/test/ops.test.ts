import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@evdm/core';
import { gradCheck, leakedTensors, maxAbsDiff, relL2, useCpu } from '../../../test-utils/tf';
import { favorAttention } from '../src/favor-attention';
import { orthogonalRandomFeatures } from '../src/orthogonal-features';
import { softmaxAttention } from '../src/softmax-attention';
import { stopGradient } from '../src/stop-gradient';

const randn = (shape: number[], seed: number, std = 1) =>
  tf.tensor(
    new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1)).map((x) => x * std),
    shape,
  );

describe('stopGradient', () => {
  beforeAll(useCpu);
  it('is the identity forward and has a zero gradient', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const y = stopGradient(x);
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3]);
    // d/dx [x·x + stop(x)·x] = 2x + stop(x) = 3x, not 4x
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.add(tf.mul(t, t), tf.mul(stopGradient(t), t))))(x);
    expect(Array.from(g.dataSync())).toEqual([3, -6, 9]);
    tf.dispose([x, y, g]);
  });
});

describe('orthogonalRandomFeatures', () => {
  it('has orthogonal rows inside each d-block and chi_d row norms; deterministic in the rng', () => {
    const m = 40;
    const d = 16;
    const w = orthogonalRandomFeatures(m, d, new Rng(3));
    expect(w.length).toBe(m * d);
    expect(Array.from(orthogonalRandomFeatures(m, d, new Rng(3)))).toEqual(Array.from(w));
    expect(Array.from(orthogonalRandomFeatures(m, d, new Rng(4)))).not.toEqual(Array.from(w));
    const row = (i: number) => w.subarray(i * d, (i + 1) * d);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m && Math.floor(j / d) === Math.floor(i / d); j++) {
        worst = Math.max(worst, Math.abs(dot(row(i), row(j))) / Math.sqrt(dot(row(i), row(i)) * dot(row(j), row(j))));
      }
    }
    expect(worst).toBeLessThan(1e-6);
    // row norms follow chi_16: mean sqrt(2)Γ(8.5)/Γ(8) ≈ 3.94; the 40 norms' mean within ±0.5
    const norms = Array.from({ length: m }, (_, i) => Math.sqrt(dot(row(i), row(i))));
    const mean = norms.reduce((a, b) => a + b, 0) / m;
    expect(Math.abs(mean - 3.94)).toBeLessThan(0.5);
    expect(new Set(norms.map((x) => x.toFixed(4))).size).toBe(m);
  });

  it('rejects bad sizes', () => {
    expect(() => orthogonalRandomFeatures(0, 4, new Rng(1))).toThrow(/m \(features\) must be a positive integer/);
    expect(() => orthogonalRandomFeatures(4, 2.5, new Rng(1))).toThrow(/d \(head dimension\)/);
  });
});

describe('attention closed forms', () => {
  beforeAll(useCpu);
  it('identical keys give the mean of V (softmax exactly, FAVOR+ exactly)', () => {
    const q = randn([2, 6, 4], 1) as tf.Tensor3D;
    const k = tf.tile(randn([2, 1, 4], 2), [1, 6, 1]) as tf.Tensor3D;
    const v = randn([2, 6, 3], 3) as tf.Tensor3D;
    const mean = tf.tile(tf.mean(v, 1, true), [1, 6, 1]);
    const w = tf.tensor2d(orthogonalRandomFeatures(8, 4, new Rng(1)), [8, 4]);
    expect(maxAbsDiff(softmaxAttention(q, k, v).dataSync(), mean.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(favorAttention(q, k, v, w).dataSync(), mean.dataSync())).toBeLessThan(1e-5);
  });

  it('softmax attention with one dominant key copies its value row', () => {
    const q = tf.tensor3d([[[10, 0]]]);
    const k = tf.tensor3d([
      [
        [10, 0],
        [0, 10],
        [-10, 0],
      ],
    ]);
    const v = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]);
    expect(maxAbsDiff(softmaxAttention(q, k, v).dataSync(), [1, 2])).toBeLessThan(1e-6);
  });

  it('FAVOR+ error vs exact shrinks as the number of features grows', () => {
    const q = randn([4, 64, 16], 11, 0.5) as tf.Tensor3D;
    const k = randn([4, 64, 16], 12, 0.5) as tf.Tensor3D;
    const v = randn([4, 64, 16], 13) as tf.Tensor3D;
    const exact = softmaxAttention(q, k, v).dataSync();
    const err = (m: number) => {
      let s = 0;
      for (let seed = 0; seed < 4; seed++) {
        const w = tf.tensor2d(orthogonalRandomFeatures(m, 16, new Rng(100 + seed)), [m, 16]);
        s += relL2(favorAttention(q, k, v, w).dataSync(), exact);
        w.dispose();
      }
      return s / 4;
    };
    const [e8, e64, e512] = [err(8), err(64), err(512)];
    // Monte-Carlo error ~ 1/sqrt(m): 8x the features should cut it by ~2.8x
    console.log(`FAVOR+ rel L2 error vs exact, m = 8 / 64 / 512: ${[e8, e64, e512].map((e) => e.toFixed(4)).join(' / ')}`);
    expect(e64).toBeLessThan(e8 / 1.8);
    expect(e512).toBeLessThan(e64 / 1.8);
  });

  it("'exponent' stabiliser stays finite where plain FAVOR+ overflows; output rows stay inside V's range", () => {
    const q = randn([1, 8, 4], 31, 30) as tf.Tensor3D;
    const k = randn([1, 8, 4], 32, 30) as tf.Tensor3D;
    const v = tf.tensor3d(
      Float32Array.from({ length: 8 * 2 }, (_, i) => (i * 7) % 5),
      [1, 8, 2],
    );
    const w = tf.tensor2d(orthogonalRandomFeatures(16, 4, new Rng(2)), [16, 4]);
    const plain = favorAttention(q, k, v, w, { stabilize: false }).dataSync();
    expect(Array.from(plain).every(Number.isFinite)).toBe(false);
    const out = favorAttention(q, k, v, w, { stabilize: 'exponent' }).dataSync();
    expect(Array.from(out).every(Number.isFinite)).toBe(true);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(-1e-5);
    expect(Math.max(...out)).toBeLessThanOrEqual(4 + 1e-5);
    expect(() => favorAttention(q, k, v, w, { stabilize: 'max' as never })).toThrow(/stabilize must be/);
  });

  it('reject mismatched shapes clearly', () => {
    const a = tf.zeros([1, 4, 3]) as tf.Tensor3D;
    expect(() => softmaxAttention(a, tf.zeros([1, 4, 2]) as tf.Tensor3D, a)).toThrow(/same head dimension/);
    expect(() => softmaxAttention(tf.zeros([4, 3]) as unknown as tf.Tensor3D, a, a)).toThrow(/q must be \[N, L, d\]/);
    expect(() => favorAttention(a, a, a, tf.zeros([5, 2]) as tf.Tensor2D)).toThrow(/projection must be \[m, 3\]/);
    expect(() => favorAttention(a, a, a, tf.zeros([5, 3]) as tf.Tensor2D, { epsilon: -1 })).toThrow(/epsilon/);
  });
});

describe('FAVOR+ gradients', () => {
  beforeAll(useCpu);
  const q = randn([2, 5, 4], 21, 0.7) as tf.Tensor3D;
  const k = randn([2, 5, 4], 22, 0.7) as tf.Tensor3D;
  const v = randn([2, 5, 3], 23) as tf.Tensor3D;
  const w = tf.tensor2d(orthogonalRandomFeatures(6, 4, new Rng(5)), [6, 4]);

  for (const stabilize of [false, 'performer', 'exponent'] as const) {
    it(`match finite differences in q, k, v (stabilize=${stabilize})`, () => {
      const err = gradCheck(
        (a, b, c) => favorAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, w, { stabilize, epsilon: 0 }),
        [q, k, v],
        { eps: 1e-2, probes: 6 },
      );
      console.log(`favorAttention (stabilize=${stabilize}) gradient check: worst relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(2e-2);
    });
  }

  it('softmax attention gradients match finite differences', () => {
    const err = gradCheck((a, b, c) => softmaxAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D), [q, k, v], {
      eps: 1e-2,
      probes: 6,
    });
    console.log(`softmaxAttention gradient check: worst relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-2);
  });

  it('the stabiliser changes neither the value nor the gradient (epsilon 0)', () => {
    const r = randn([2, 5, 3], 24);
    const loss = (stabilize: boolean) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(favorAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, w, { stabilize, epsilon: 0 }), r));
    const gPlain = tf.grads(loss(false))([q, k, v]);
    const gStab = tf.grads(loss(true))([q, k, v]);
    const diffs = [0, 1, 2].map((i) => relL2(gStab[i].dataSync(), gPlain[i].dataSync()));
    console.log(
      `stabilised vs plain FAVOR+ gradients (q, k, v), relative L2: ${diffs.map((e) => e.toExponential(2)).join(', ')}`,
    );
    diffs.forEach((e) => expect(e).toBeLessThan(1e-5));
    tf.dispose([...gPlain, ...gStab, r]);
  });

  it("the backward pass does not differentiate the stabiliser's max (no Max-gradient mask)", async () => {
    for (const stabilize of ['performer', 'exponent'] as const) {
      const prof = await tf.profile(() =>
        tf.dispose(
          tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(favorAttention(a as tf.Tensor3D, b as tf.Tensor3D, v, w, { stabilize })),
          )([q, k]),
        ),
      );
      const names = prof.kernels.map((kr) => kr.name);
      expect(names).toContain('Max'); // the forward max runs ...
      expect(names).not.toContain('Equal'); // ... but Max's gradient (equal(x, max) · dy) does not
    }
  });

  it('does not leak tensors (forward and backward)', () => {
    expect(leakedTensors(() => favorAttention(q, k, v, w).dispose())).toBe(0);
    expect(
      leakedTensors(() => tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(favorAttention(a as tf.Tensor3D, k, v, w)))([q]))),
    ).toBe(0);
    expect(leakedTensors(() => softmaxAttention(q, k, v).dispose())).toBe(0);
  });
});
