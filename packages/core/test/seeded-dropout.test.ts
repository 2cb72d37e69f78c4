import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { leakedTensors, useCpu } from '../../../test-utils/tf';
import { dropoutKeys, dropoutMask, mix32, seededDropout, seededDropoutComposed } from '../src/seeded-dropout';

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

describe('seededDropout: a counter-based mask', () => {
  beforeAll(useCpu);

  it('mix32 is a bijection on 32-bit words (no two of 2^20 consecutive inputs collide) and avalanches', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1 << 20; i++) seen.add(mix32(i));
    expect(seen.size).toBe(1 << 20);
    // flipping one input bit flips about half of the output bits
    let flips = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      const x = mix32(i * 7919 + 13);
      const d = mix32(x) ^ mix32((x ^ (1 << (i % 32))) >>> 0);
      flips += d.toString(2).split('1').length - 1;
    }
    expect(flips / trials / 32).toBeGreaterThan(0.45);
    expect(flips / trials / 32).toBeLessThan(0.55);
  });

  for (const rate of [0.1, 0.25, 0.5, 0.9]) {
    it(`rate ${rate}: drop fraction within 5 sigma, kept values scaled by 1 / (1 - rate), neighbours uncorrelated`, () => {
      const n = 1 << 18;
      const sigma = Math.sqrt((rate * (1 - rate)) / n);
      for (const seed of [0, 1, 12345, 2147483646, 0.5]) {
        const m = dropoutMask(n, rate, seed);
        const dropped = Array.from(m, (v) => (v === 0 ? 1 : 0));
        const p = mean(dropped);
        expect(Math.abs(p - rate)).toBeLessThan(5 * sigma);
        expect(new Set(m.filter((v) => v !== 0))).toEqual(new Set([Math.fround(1 / (1 - rate))]));
        // lag-1, lag-(a row of 64) and lag-(a 64x64 image) correlation of the drop indicator: ~0 for independent draws
        for (const lag of [1, 64, 4096]) {
          let both = 0;
          for (let i = 0; i + lag < n; i++) both += dropped[i] * dropped[i + lag];
          const corr = (both / (n - lag) - p * p) / (p * (1 - p));
          expect(Math.abs(corr)).toBeLessThan(0.02); // sd ~ 1/sqrt(n) = 0.002
        }
      }
    });
  }

  it('different seeds give independent masks; the same seed the same mask', () => {
    const n = 1 << 16;
    const rate = 0.5;
    const a = dropoutMask(n, rate, 7);
    expect(Array.from(dropoutMask(n, rate, 7))).toEqual(Array.from(a));
    for (const other of [8, 7.5, 70, 2 ** 31 - 1]) {
      const b = dropoutMask(n, rate, other);
      let agree = 0;
      for (let i = 0; i < n; i++) agree += (a[i] === 0) === (b[i] === 0) ? 1 : 0;
      // independent: agreement rate^2 + (1 - rate)^2 = 0.5, sd 0.002
      expect(Math.abs(agree / n - 0.5)).toBeLessThan(0.01);
    }
    const keys = new Set<string>();
    for (let s = 0; s < 5000; s++) keys.add(dropoutKeys(s).join(','));
    expect(keys.size).toBe(5000);
  });

  it('the op multiplies by the mask, keeps the shape, and its gradient is dy times the same mask', () => {
    for (const shape of [[1, 1, 1, 1], [2, 9, 4, 3], [5], [3, 17]]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const m = tf.tensor(dropoutMask(x.size, 0.3, 9), shape);
      const y = seededDropout(x, 0.3, 9);
      expect(y.shape).toEqual(shape);
      const want = tf.mul(x, m);
      expect(Array.from(y.dataSync())).toEqual(Array.from(want.dataSync()));
      const g = tf.grad((v: tf.Tensor) => seededDropout(v, 0.3, 9))(x, dy);
      const gWant = tf.mul(dy, m);
      expect(Array.from(g.dataSync())).toEqual(Array.from(gWant.dataSync()));
      tf.dispose([x, dy, m, y, want, g, gWant]);
    }
  });

  it('rate 0 and empty tensors pass through; no tensor leaks, with or without a gradient', () => {
    const x = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 1);
    const y = seededDropoutComposed(x, 0, 5);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    const e = seededDropout(tf.zeros([0, 3]), 0.5, 1);
    expect(e.shape).toEqual([0, 3]);
    tf.dispose([y, e]);
    expect(leakedTensors(() => seededDropout(x, 0.5, 1).dispose())).toBe(0);
    expect(
      leakedTensors(() =>
        tf
          .grad((v: tf.Tensor) => seededDropout(v, 0.5, 1))(x)
          .dispose(),
      ),
    ).toBe(0);
    x.dispose();
  });

  it('bad input: a rate outside [0, 1), a non-finite seed, an int32 tensor', () => {
    const x = tf.ones([1, 2, 2, 3]);
    expect(() => seededDropout(x, 1, 1)).toThrow(/seededDropout: rate must be in \[0, 1\), got 1/);
    expect(() => seededDropout(x, -0.1, 1)).toThrow(/seededDropout: rate must be in \[0, 1\), got -0.1/);
    expect(() => seededDropout(x, 0.5, NaN)).toThrow(/seededDropout: seed must be a finite number, got NaN/);
    const xi = tf.ones([1, 2, 2, 3], 'int32');
    expect(() => seededDropout(xi, 0.5, 1)).toThrow(/seededDropout: x must be float32, got int32 \[1,2,2,3\]/);
    tf.dispose([x, xi]);
  });
});
