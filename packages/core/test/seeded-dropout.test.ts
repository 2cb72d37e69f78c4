import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { leakedTensors, useCpu } from '../../../test-utils/tf';
import { dropoutMask, seededDropout, seededDropoutComposed } from '../src/seeded-dropout';

// The reference is tfjs's own dropout (seedrandom Alea + Add/Floor/RealDiv/Multiply kernels).
const DROPOUT_SHAPES: number[][] = [[1, 1, 1, 1], [1, 3, 5, 7], [2, 9, 4, 3], [8, 8, 8, 48], [5], [3, 17]];
const DROPOUT_RATES = [0.1, 0.25, 0.5, 0.9];
const DROPOUT_SEEDS = [0, 1, 12345, 2147483646];

describe('seededDropout (composed path): equal to tf.dropout bit for bit', () => {
  beforeAll(useCpu);

  for (const rate of DROPOUT_RATES) {
    it(`rate ${rate}: values for ${DROPOUT_SHAPES.length} shapes x ${DROPOUT_SEEDS.length} seeds`, () => {
      for (const shape of DROPOUT_SHAPES) {
        for (const seed of DROPOUT_SEEDS) {
          const x = tf.randomNormal(shape, 0, 1, 'float32', seed + 7);
          const ours = seededDropoutComposed(x, rate, seed);
          const theirs = tf.dropout(x, rate, undefined, seed);
          expect(Array.from(ours.dataSync()), `shape [${shape}] seed ${seed}`).toEqual(Array.from(theirs.dataSync()));
          tf.dispose([x, ours, theirs]);
        }
      }
    });
  }

  it('the mask keeps about 1 - rate of the entries and scales them by 1 / (1 - rate); seeds differ', () => {
    const m = dropoutMask(200_000, 0.1, 42);
    const kept = m.filter((v) => v !== 0);
    expect(kept.length / m.length).toBeCloseTo(0.9, 2);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / Math.fround(0.9))]));
    expect(Array.from(dropoutMask(1000, 0.1, 43))).not.toEqual(Array.from(m.subarray(0, 1000)));
  });

  it('the gradient equals tf.dropout gradient (dy times the regenerated mask)', () => {
    const x = tf.randomNormal([2, 5, 3, 6], 0, 1, 'float32', 3);
    const dy = tf.randomNormal([2, 5, 3, 6], 0, 1, 'float32', 4);
    const g1 = tf.grad((v: tf.Tensor) => seededDropout(v, 0.3, 9))(x, dy);
    const g2 = tf.grad((v: tf.Tensor) => tf.dropout(v, 0.3, undefined, 9))(x, dy);
    expect(Array.from(g1.dataSync())).toEqual(Array.from(g2.dataSync()));
    tf.dispose([x, dy, g1, g2]);
  });

  it('rate 0 and empty tensors pass through; no tensor leaks, with or without a gradient', () => {
    const x = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 1);
    const y = seededDropout(x, 0, 5);
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
