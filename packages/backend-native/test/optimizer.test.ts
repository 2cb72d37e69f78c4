import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { available, HOSTS, randomData, requireAddon, runOn } from './helpers';

requireAddon();

const ema = (shadow: tf.Tensor, x: tf.Tensor, rate: number) =>
  tf.engine().runKernel('EvdmEma', { shadow, x }, { rate } as unknown as tf.NamedAttrMap) as tf.Tensor;
const sumOfSquares = (xs: tf.Tensor[]) =>
  tf.engine().runKernel('EvdmSumOfSquares', { ...xs } as unknown as tf.NamedTensorMap) as tf.Tensor;

// The optimiser kernels against what they replace: EvdmEma against mul/add in float32 (bit for bit),
// EvdmSumOfSquares against a float64 sum of squares computed here.
describe.skipIf(!available)('EvdmEma and EvdmSumOfSquares', () => {
  // one element, odd sizes, a weight matrix, and one over the thread-split size
  const shapes = [[1], [7, 3], [384, 1152], [3, 5, 7, 11], [301, 1001]];
  for (const host of HOSTS) {
    it(`${host}: EvdmEma = shadow·rate + x·(1 − rate) as TF.js computes it, bit for bit`, async () => {
      for (const shape of shapes) {
        for (const rate of [0.999, 0.5, 0, 0.9999]) {
          const composed = (s: tf.Tensor, x: tf.Tensor) => tf.add(tf.mul(s, rate), tf.mul(x, 1 - rate));
          const want = await runOn('cpu', false, [shape, shape], composed);
          const got = await runOn(host, true, [shape, shape], (s, x) => ema(s, x, rate));
          expect(got[0]).toEqual(want[0]);
        }
      }
    });
    it(`${host}: EvdmSumOfSquares = the float64 sum of squares of all inputs`, async () => {
      const sets = [[[3]], [[7, 3], [1], [384, 1152]], [[3, 5, 7, 11], [0, 4], [301, 1001], [2]]];
      for (const set of sets) {
        let want = 0;
        set.forEach((s, i) => {
          for (const v of randomData(s, 1 + i)) want += v * v;
        });
        const [got] = await runOn(host, true, set, (...xs) => sumOfSquares(xs));
        expect(got.length).toBe(1);
        expect(Math.abs(got[0] - want) / want).toBeLessThan(1e-7); // float32 output of a double sum
      }
    });
  }
  it('no tensors leak; bad inputs are clear errors naming the kernel and the shapes', async () => {
    await runOn('cpu', true, [[4, 3]], (p) => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        ema(p, p, 0.9);
        sumOfSquares([p, p]);
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(() => ema(p, tf.zeros([3, 4]), 0.9)).toThrow(
        /EvdmEma needs float32 shadow and x of one shape, got shadow float32 \[4,3\], x float32 \[3,4\]/,
      );
      expect(() => ema(p, p, 1)).toThrow(/EvdmEma needs a rate in \[0, 1\), got 1/);
      expect(() => sumOfSquares([p, tf.zeros([2], 'int32')])).toThrow(
        /EvdmSumOfSquares needs float32 inputs; input 1 is int32 \[2\]/,
      );
      const empty = sumOfSquares([]);
      expect(empty.shape).toEqual([]);
      expect(empty.dataSync()[0]).toBe(0);
      return p.clone();
    });
  });
});
