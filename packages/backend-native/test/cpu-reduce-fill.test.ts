import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { poolFor } from '../src/pool';
import { available, gradsOf, nativeVsReference, requireAddon, runOn, TOL } from './helpers';

requireAddon();

const pooled = () => {
  const s = poolFor(tf.backend()).stats();
  return s.fresh + s.reused;
};

// AddN, Max, ZerosLike, OnesLike, Fill on the cpu host against the stock tfjs-backend-cpu kernels.
describe.skipIf(!available)('cpu host: native AddN / Max / ZerosLike / OnesLike / Fill', () => {
  it('AddN: 1-5 inputs, odd sizes, batch 1, several 4096-element blocks; bit-exact (same summation order)', async () => {
    for (const shape of [[3, 5, 7], [1, 9, 11, 3], [2, 4099, 3], [2, 32, 64, 19], [7]]) {
      for (const k of [1, 2, 3, 5]) {
        const shapes = Array.from({ length: k }, () => shape);
        expect(await nativeVsReference('cpu', shapes, (...xs) => tf.addN(xs))).toBe(0);
      }
    }
  });
  it('AddN: gradient, empty tensors, and it is the native kernel that ran (pooled output)', async () => {
    const s = [3, 4, 5];
    expect(
      await nativeVsReference(
        'cpu',
        [s, s, s],
        gradsOf((a, b, c) => tf.mul(tf.addN([a, b, c]), a)),
      ),
    ).toBeLessThan(1e-6);
    expect(
      await nativeVsReference(
        'cpu',
        [
          [0, 4],
          [0, 4],
        ],
        (a, b) => tf.add(tf.addN([a, b]), 1),
      ),
    ).toBe(0);
    await runOn(
      'cpu',
      true,
      [
        [4, 512],
        [4, 512],
      ],
      (a, b) => {
        const before = pooled();
        const y = tf.addN([a, b]);
        expect(pooled()).toBe(before + 1);
        return y;
      },
    );
  });
  it('AddN: inputs of different shapes are a clear error naming the op and shapes', async () => {
    await runOn(
      'cpu',
      true,
      [
        [2, 3],
        [3, 2],
      ],
      (a, b) => {
        expect(() => tf.engine().runKernel('AddN', [a, b] as unknown as tf.NamedTensorMap)).toThrow(
          /AddN needs inputs of one shape, got \[2,3\], \[3,2\]/,
        );
        return a.clone();
      },
    );
  });
  it('Max over every axis combination (contiguous and scattered), keepDims, odd sizes, batch 1', async () => {
    const axesList = [undefined, 0, 1, 2, 3, -1, [0, 1], [1, 2], [2, 3], [0, 2], [1, 3], [0, 3], [0, 1, 3], [0, 1, 2, 3]] as (
      number | number[] | undefined
    )[];
    for (const shape of [
      [4, 5, 6, 7],
      [1, 3, 1, 5],
      [2, 1, 9, 1],
    ]) {
      for (const axis of axesList) {
        for (const keep of [false, true]) expect(await nativeVsReference('cpu', [shape], (x) => tf.max(x, axis, keep))).toBe(0);
      }
    }
    expect(await nativeVsReference('cpu', [[16, 1024, 48]], (x) => tf.max(x, [1, 2], true))).toBe(0);
    expect(
      await nativeVsReference(
        'cpu',
        [[6, 7]],
        gradsOf((x) => tf.max(x, 1)),
      ),
    ).toBeLessThan(TOL);
    expect(await nativeVsReference('cpu', [[0, 3]], (x) => tf.add(tf.max(x, 1), 1))).toBe(0);
  });
  it('Max: NaN anywhere in a group gives NaN, as the stock kernel; -Infinity rows stay -Infinity', async () => {
    const fn = (x: tf.Tensor) => {
      const v = x.dataSync().slice();
      v[3] = NaN; // row 0 of [5,8], column 3
      v[8 * 2] = -Infinity;
      for (let j = 0; j < 8; j++) v[8 * 4 + j] = -Infinity;
      const y = tf.tensor(v, x.shape);
      const out = [tf.max(y, 1), tf.max(y, 0), tf.max(y)];
      y.dispose();
      return out;
    };
    const ref = await runOn('cpu', false, [[5, 8]], fn);
    const got = await runOn('cpu', true, [[5, 8]], fn);
    expect(got.map((a) => Array.from(a))).toEqual(ref.map((a) => Array.from(a)));
    expect(Number.isNaN(got[0][0]) && Number.isNaN(got[1][3]) && Number.isNaN(got[2][0])).toBe(true);
    expect(got[0][4]).toBe(-Infinity);
  });
  it('ZerosLike / OnesLike / Fill: values, odd and empty shapes; a recycled buffer comes back zeroed', async () => {
    for (const shape of [[3, 5, 7], [1, 2049], [0, 3], []]) {
      expect(await nativeVsReference('cpu', [shape], (x) => [tf.zerosLike(x), tf.onesLike(x), tf.fill(shape, -2.5)])).toBe(0);
    }
    await runOn('cpu', true, [[4, 600]], (x) => {
      tf.dispose(tf.add(x, 1)); // a pooled array full of non-zeros goes back to the free list
      const stats = poolFor(tf.backend()).stats();
      const z = tf.zerosLike(x);
      expect(poolFor(tf.backend()).stats().reused).toBe(stats.reused + 1);
      expect(z.dataSync().every((v) => v === 0)).toBe(true);
      const o = tf.onesLike(x);
      expect(o.dataSync().every((v) => v === 1)).toBe(true);
      o.dispose();
      return z;
    });
    // int32 fills run the stock kernels
    expect(
      await nativeVsReference('cpu', [[3, 4]], (x) =>
        tf.cast(tf.add(tf.zerosLike(tf.cast(x, 'int32')), tf.fill([3, 4], 7, 'int32')), 'float32'),
      ),
    ).toBe(0);
  });
  it('Fill with a bad shape is a clear error naming the op', async () => {
    await runOn('cpu', true, [[2]], (x) => {
      expect(() => tf.engine().runKernel('Fill', {}, { shape: [2, -1], value: 1, dtype: 'float32' })).toThrow(
        /Fill needs a shape of non-negative integers, got \[2,-1\]/,
      );
      return x.clone();
    });
  });
  it('raw addon calls with inconsistent sizes are clear errors, not crashes', async () => {
    const { nativeAddon } = await import('../src/addon');
    const f = (n: number) => new Float32Array(n);
    expect(() => nativeAddon().addN([f(4), f(3)], f(4))).toThrow(/addN: input 1 has 3 elements, the output 4/);
    expect(() => nativeAddon().addN([], f(4))).toThrow(/addN: needs at least one input/);
    expect(() => nativeAddon().addN([f(4), new Int32Array(4) as unknown as Float32Array], f(4))).toThrow(
      /addN: input 1 is not a Float32Array/,
    );
    expect(() => nativeAddon().max(f(12), 2, 3, 3, f(6))).toThrow(/max: x has 12 elements, out 6/);
  });
  it('leaks no tensors', async () => {
    await runOn(
      'cpu',
      true,
      [
        [2, 3, 4],
        [2, 3, 4],
      ],
      (a, b) => {
        const step = () =>
          tf.dispose(
            tf.tidy(() =>
              tf.add(tf.max(tf.addN([a, b, a]), [0, 2], true), tf.addN([tf.zerosLike(a), tf.onesLike(b), tf.fill([2, 3, 4], 3)])),
            ),
          );
        step();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) step();
        expect(tf.memory().numTensors).toBe(before);
        return a.clone();
      },
    );
  });
});
