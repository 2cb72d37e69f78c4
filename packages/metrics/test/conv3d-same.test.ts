import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { conv3dSame, samePadding } from '../src/conv3d-same';

beforeAll(useCpu);

describe('conv3dSame', () => {
  it('TF SAME padding puts the odd pixel after', () => {
    expect(samePadding(224, 7, 2)).toEqual([2, 3]);
    expect(samePadding(16, 7, 2)).toEqual([2, 3]);
    expect(samePadding(15, 7, 2)).toEqual([3, 3]);
    expect(samePadding(8, 3, 1)).toEqual([1, 1]);
    expect(samePadding(8, 1, 1)).toEqual([0, 0]);
    expect(samePadding(7, 2, 2)).toEqual([0, 1]);
  });

  const cases: [number[], number[], [number, number, number]][] = [
    [
      [2, 8, 10, 10, 3],
      [7, 7, 7, 3, 4],
      [2, 2, 2],
    ],
    [
      [1, 7, 9, 11, 3],
      [7, 7, 7, 3, 2],
      [2, 2, 2],
    ],
    [
      [2, 5, 6, 6, 4],
      [3, 3, 3, 4, 5],
      [1, 1, 1],
    ],
    [
      [1, 4, 5, 5, 2],
      [1, 1, 1, 2, 3],
      [1, 1, 1],
    ],
  ];
  for (const [xs, ws, st] of cases) {
    it(`equals tf.conv3d(..., 'same') for x [${xs}], w [${ws}], strides [${st}]`, () => {
      const x = tf.randomNormal(xs as [number, number, number, number, number], 0, 1, 'float32', 1) as tf.Tensor5D;
      const w = tf.randomNormal(ws as [number, number, number, number, number], 0, 0.2, 'float32', 2) as tf.Tensor5D;
      const a = conv3dSame(x, w, st);
      const b = tf.conv3d(x, w, st, 'same');
      expect(a.shape).toEqual(b.shape);
      expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(2e-5);
      tf.dispose([x, w, a, b]);
    });
  }
});
