import * as tf from '@tensorflow/tfjs-core';
import {
  seededDropout,
  seededDropoutComposed,
  seededDropoutKernelAvailable,
  seededDropoutAttrs,
  SEEDED_DROPOUT,
} from '@evdm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { leakedTensors } from '../../../test-utils/tf';
import { unregisterNativeKernels } from '../src/index';
import { available, HOSTS, requireAddon, useHost as on } from './helpers';

requireAddon();

// The reference is core's composed path (the mask from the host loop, one Multiply): same bits.
const SHAPES = [[1, 1, 1, 1], [1, 3, 5, 7], [2, 9, 4, 3], [8, 16, 16, 48], [5]];

describe.skipIf(!available)('native EvdmSeededDropout vs the composed path (bit for bit)', () => {
  afterAll(() => unregisterNativeKernels());

  for (const host of HOSTS) {
    it(`${host}: values and gradient for every rate, shape and seed`, async () => {
      await on(host, true);
      expect(seededDropoutKernelAvailable()).toBe(true);
      for (const rate of [0.1, 0.5, 0.9]) {
        for (const shape of SHAPES) {
          for (const seed of [0, 77, 2147483646]) {
            const x = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
            const dy = tf.randomNormal(shape, 0, 1, 'float32', seed + 4);
            const ours = seededDropout(x, rate, seed);
            const theirs = seededDropoutComposed(x, rate, seed);
            const g1 = tf.grad((v: tf.Tensor) => seededDropout(v, rate, seed))(x, dy);
            const g2 = tf.grad((v: tf.Tensor) => seededDropoutComposed(v, rate, seed))(x, dy);
            const what = `${host} rate ${rate} shape [${shape}] seed ${seed}`;
            expect(Array.from(ours.dataSync()), what).toEqual(Array.from(theirs.dataSync()));
            expect(Array.from(g1.dataSync()), what).toEqual(Array.from(g2.dataSync()));
            tf.dispose([x, dy, ours, theirs, g1, g2]);
          }
        }
      }
    });

    it(`${host}: a tensor large enough for the threaded pass (17 M elements)`, async () => {
      await on(host, true);
      const x = tf.randomNormal([1, 4100, 4100], 0, 1, 'float32', 5);
      const ours = seededDropout(x, 0.1, 3).dataSync();
      const theirs = seededDropoutComposed(x, 0.1, 3).dataSync();
      let mismatches = 0;
      for (let i = 0; i < ours.length; i++) if (!Object.is(ours[i], theirs[i])) mismatches++;
      expect(mismatches).toBe(0);
      x.dispose();
    });

    it(`${host}: no tensor leaks; without the kernels the composed path runs`, async () => {
      await on(host, true);
      const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 1);
      expect(
        leakedTensors(() =>
          tf
            .grad((v: tf.Tensor) => seededDropout(v, 0.5, 1))(x)
            .dispose(),
        ),
      ).toBe(0);
      const withKernel = seededDropout(x, 0.5, 1);
      await on(host, false);
      expect(seededDropoutKernelAvailable()).toBe(false);
      const without = seededDropout(x, 0.5, 1);
      expect(Array.from(without.dataSync())).toEqual(Array.from(withKernel.dataSync()));
      tf.dispose([x, withKernel, without]);
    });

    it(`${host}: bad input to the kernel is a clear error, not a crash`, async () => {
      await on(host, true);
      const xi = tf.ones([2, 2], 'int32');
      const x = tf.ones([2, 2]);
      expect(() => tf.engine().runKernel(SEEDED_DROPOUT, { x: xi }, seededDropoutAttrs(0.5, 1) as never)).toThrow(
        /EvdmSeededDropout needs a float32 x, got int32 \[2,2\]/,
      );
      expect(() => tf.engine().runKernel(SEEDED_DROPOUT, { x }, { keys: [1], threshold: 5, scale: 2 } as never)).toThrow(
        /EvdmSeededDropout attrs must be/,
      );
      tf.dispose([x, xi]);
    });
  }
});
