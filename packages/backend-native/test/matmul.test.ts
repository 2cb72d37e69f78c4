import * as tf from '@tensorflow/tfjs-core';
import { groupedConv1x1, channelShuffle } from '@evdm/layers-brp';
import { describe, expect, it } from 'vitest';
import { available, gradsOf, HOSTS, nativeVsReference, requireAddon, TOL } from './helpers';

requireAddon();

interface MmCase {
  a: number[];
  b: number[];
  ta?: boolean;
  tb?: boolean;
  /** tfjs 4.22's own BatchMatMul gradient does not reduce a broadcast batch (fails on pure TF.js too): forward only. */
  forwardOnly?: boolean;
}
const cases: MmCase[] = [
  { a: [7, 5], b: [5, 3] },
  { a: [5, 7], b: [5, 3], ta: true },
  { a: [7, 5], b: [3, 5], tb: true },
  { a: [5, 7], b: [3, 5], ta: true, tb: true },
  { a: [4, 9, 6], b: [4, 6, 11] },
  { a: [4, 6, 9], b: [4, 11, 6], ta: true, tb: true },
  { a: [2, 3, 9, 6], b: [2, 3, 6, 5] },
  { a: [4, 9, 6], b: [1, 6, 5], forwardOnly: true }, // broadcast batch of b
  { a: [1, 9, 6], b: [3, 5, 6], tb: true, forwardOnly: true }, // broadcast batch of a
  { a: [3, 64, 130], b: [3, 130, 17] },
];

describe.skipIf(!available)('native BatchMatMul / _FusedMatMul vs pure TF.js', () => {
  for (const host of HOSTS) {
    for (const c of cases) {
      it(`${host}: [${c.a}]${c.ta ? 'ᵀ' : ''} x [${c.b}]${c.tb ? 'ᵀ' : ''} forward${c.forwardOnly ? '' : ' + gradients'}`, async () => {
        const mm = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, c.ta, c.tb);
        expect(await nativeVsReference(host, [c.a, c.b], mm)).toBeLessThan(TOL);
        if (!c.forwardOnly) expect(await nativeVsReference(host, [c.a, c.b], gradsOf(mm))).toBeLessThan(TOL);
      });
    }
    it(`${host}: unsupported batch broadcasting ([2,1] vs [1,3] batch dims) falls back to the stock kernel`, async () => {
      const mm = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b);
      expect(
        await nativeVsReference(
          host,
          [
            [2, 1, 4, 5],
            [1, 3, 5, 6],
          ],
          mm,
        ),
      ).toBeLessThan(TOL);
    });
    it(`${host}: _FusedMatMul with bias and activations, and its gradients`, async () => {
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
        const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
          tf.fused.matMul({ a, b, bias, activation, transposeB: true, leakyreluAlpha: 0.15 });
        expect(await nativeVsReference(host, [[6, 10], [7, 10], [7]], f), activation).toBeLessThan(TOL);
        if (activation === 'linear' || activation === 'relu')
          expect(await nativeVsReference(host, [[6, 10], [7, 10], [7]], gradsOf(f))).toBeLessThan(TOL);
      }
    });
    it(`${host}: the grouped 1x1 conv (all formulations) and channel shuffle of layers-brp`, async () => {
      for (const method of ['matmul', 'blockDiagonal', 'splitConcat'] as const) {
        const f = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
          channelShuffle(groupedConv1x1(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D, 4, method), 2);
        const shapes = [[2, 5, 6, 16], [1, 1, 4, 24], [24]];
        expect(await nativeVsReference(host, shapes, f), method).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, gradsOf(f)), `${method} grads`).toBeLessThan(TOL);
      }
    });
    it(`${host}: empty matrices fall back to the stock kernel`, async () => {
      const mm = (a: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(a, b), 1);
      expect(
        await nativeVsReference(
          host,
          [
            [0, 4],
            [4, 3],
          ],
          mm,
        ),
      ).toBe(0);
    });
  }
});
