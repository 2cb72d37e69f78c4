import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { available, gradsOf, nativeVsReference, requireAddon, runOn, TOL } from './helpers';

requireAddon();

// The memory-bound kernels registered on the cpu host only, against stock tfjs-backend-cpu.
describe.skipIf(!available)(
  'cpu host: native Slice / SplitV / Unpack / Transpose / PadV2 / Concat / binary / unary / Sum / Softmax',
  () => {
    it('Slice (rank 2-6, odd offsets), SplitV, Unpack', async () => {
      expect(await nativeVsReference('cpu', [[5, 7]], (x) => tf.slice(x, [1, 2], [3, 4]))).toBe(0);
      expect(await nativeVsReference('cpu', [[2, 3, 5, 7, 4]], (x) => tf.slice(x, [1, 0, 2, 3, 1], [1, 3, 2, -1, 2]))).toBe(0);
      expect(
        await nativeVsReference('cpu', [[2, 3, 2, 3, 2, 3]], (x) => tf.slice(x, [0, 1, 0, 1, 1, 0], [2, 2, 1, 2, 1, 3])),
      ).toBe(0);
      expect(await nativeVsReference('cpu', [[2, 9, 3, 5]], (x) => tf.split(x, [2, 4, 3], 1))).toBe(0);
      expect(await nativeVsReference('cpu', [[4, 3, 6]], (x) => tf.split(x, 3, -1))).toBe(0);
      expect(await nativeVsReference('cpu', [[2, 3, 4, 5]], (x) => tf.unstack(x, 2))).toBe(0);
      expect(await nativeVsReference('cpu', [[3, 4]], (x) => tf.unstack(x, 0))).toBe(0);
    });
    it('Tile (broadcasts, general reps, rank 1-6; rank 6 with six repeated axes falls back to the stock kernel)', async () => {
      expect(await nativeVsReference('cpu', [[1, 5]], (x) => tf.tile(x, [3, 1]))).toBe(0);
      expect(await nativeVsReference('cpu', [[2, 3, 4]], (x) => tf.tile(x, [2, 1, 3]))).toBe(0);
      expect(await nativeVsReference('cpu', [[7]], (x) => tf.tile(x, [4]))).toBe(0);
      expect(await nativeVsReference('cpu', [[8, 1, 1, 5]], (x) => tf.broadcastTo(x, [8, 6, 7, 5]))).toBe(0);
      expect(await nativeVsReference('cpu', [[1, 3, 1, 2, 1]], (x) => tf.tile(x, [2, 2, 3, 1, 4]))).toBe(0);
      expect(await nativeVsReference('cpu', [[2, 1, 2, 1, 2, 1]], (x) => tf.tile(x, [2, 2, 2, 2, 2, 2]))).toBe(0);
      expect(await nativeVsReference('cpu', [[3, 4]], (x) => tf.tile(x, [1, 1]))).toBe(0);
    });
    it('Transpose (every rank-4 permutation sample, rank 5), PadV2, Concat', async () => {
      for (const perm of [
        [0, 3, 1, 2],
        [3, 2, 1, 0],
        [1, 0, 2, 3],
        [0, 1, 3, 2],
      ]) {
        expect(await nativeVsReference('cpu', [[2, 3, 4, 5]], (x) => tf.transpose(x, perm))).toBe(0);
      }
      expect(await nativeVsReference('cpu', [[2, 3, 4, 5, 6]], (x) => tf.transpose(x, [0, 1, 2, 4, 3]))).toBe(0);
      expect(
        await nativeVsReference('cpu', [[2, 3, 4, 5]], (x) =>
          tf.pad(
            x,
            [
              [0, 1],
              [2, 0],
              [1, 1],
              [0, 3],
            ],
            0.5,
          ),
        ),
      ).toBe(0);
      expect(
        await nativeVsReference(
          'cpu',
          [
            [2, 3, 4],
            [2, 5, 4],
            [2, 1, 4],
          ],
          (a, b, c) => tf.concat([a, b, c], 1),
        ),
      ).toBe(0);
      expect(
        await nativeVsReference(
          'cpu',
          [
            [2, 3, 4],
            [2, 3, 2],
          ],
          (a, b) => tf.concat([a, b], -1),
        ),
      ).toBe(0);
      for (const axis of [0, 1, 2, 3])
        expect(
          await nativeVsReference(
            'cpu',
            [
              [2, 3, 4],
              [2, 3, 4],
            ],
            (a, b) => tf.stack([a, b], axis),
          ),
        ).toBe(0);
    });
    it('broadcasting binary ops and their gradients', async () => {
      const shapes: [number[], number[]][] = [
        [
          [2, 3, 4, 5],
          [2, 3, 4, 5],
        ],
        [[2, 3, 4, 5], [5]],
        [
          [2, 1, 1, 5],
          [2, 3, 4, 5],
        ],
        [
          [3, 1],
          [1, 4],
        ],
        [[2, 3, 4, 5], []],
        [[], [4]],
      ];
      const ops = [tf.add, tf.sub, tf.mul, tf.maximum, tf.minimum, tf.squaredDifference] as ((
        a: tf.Tensor,
        b: tf.Tensor,
      ) => tf.Tensor)[];
      for (const [sa, sb] of shapes) {
        for (const op of ops) expect(await nativeVsReference('cpu', [sa, sb], op)).toBeLessThan(1e-6);
        expect(await nativeVsReference('cpu', [sa, sb], (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5)))).toBeLessThan(1e-6);
        expect(
          await nativeVsReference(
            'cpu',
            [sa, sb],
            gradsOf((a, b) => tf.mul(tf.add(a, b), tf.sub(a, b))),
          ),
        ).toBeLessThan(TOL);
      }
    });
    it('passes over more than EVDM_NATIVE_SPLIT_BYTES split over the threads: same values', async () => {
      // many rows, a few long rows (each row cut into pieces), one row, short rows; odd sizes
      const big: [number[], number[]][] = [
        [
          [67, 43, 29],
          [67, 43, 29],
        ],
        [
          [2, 70001],
          [1, 70001],
        ],
        [[150001], [150001]],
        [
          [9001, 3, 5],
          [1, 3, 1],
        ],
        [[131, 1025], []],
      ];
      for (const [sa, sb] of big) {
        expect(await nativeVsReference('cpu', [sa, sb], tf.add)).toBe(0);
        expect(await nativeVsReference('cpu', [sa, sb], tf.mul)).toBe(0);
        expect(await nativeVsReference('cpu', [sa], (x) => tf.square(x))).toBe(0);
        expect(await nativeVsReference('cpu', [sa], (x) => tf.sqrt(tf.abs(x)))).toBe(0);
        expect(await nativeVsReference('cpu', [sa], (x) => tf.concat([x, x], 0))).toBe(0);
        expect(await nativeVsReference('cpu', [sa], (x) => tf.reverse(tf.slice(x, 1, -1), 0))).toBe(0);
      }
      expect(await nativeVsReference('cpu', [[67, 43, 29]], (x) => tf.transpose(x, [2, 0, 1]))).toBe(0);
      expect(await nativeVsReference('cpu', [[2, 40001, 2]], (x) => tf.transpose(x, [0, 2, 1]))).toBe(0);
      expect(
        await nativeVsReference('cpu', [[3, 30001, 2]], (x) =>
          tf.pad(
            x,
            [
              [0, 1],
              [2, 3],
              [0, 0],
            ],
            0.5,
          ),
        ),
      ).toBe(0);
    });
    it('unary ops and Sum over every axis combination', async () => {
      const un = [
        tf.sqrt,
        tf.square,
        tf.relu,
        tf.neg,
        tf.exp,
        tf.sigmoid,
        tf.rsqrt,
        tf.abs,
        tf.floor,
        (x: tf.Tensor) => tf.step(tf.sub(x, 1), 0.25),
      ] as ((x: tf.Tensor) => tf.Tensor)[];
      for (const f of un) expect(await nativeVsReference('cpu', [[3, 7, 5]], (x) => f(tf.abs(x)))).toBeLessThan(1e-6);
      for (const axis of [undefined, 0, 1, 2, 3, [0, 1, 2], [1, 3], [0, 3]] as (number | number[] | undefined)[]) {
        for (const keep of [false, true])
          expect(await nativeVsReference('cpu', [[4, 5, 6, 7]], (x) => tf.sum(x, axis, keep))).toBeLessThan(TOL);
      }
    });
    it('Softmax (last axis; long rows; large logits) and its gradient', async () => {
      for (const shape of [
        [4, 7],
        [2, 3, 1],
        [3, 2, 257],
        [1, 1030],
      ]) {
        expect(await nativeVsReference('cpu', [shape], (x) => tf.softmax(tf.mul(x, 30)))).toBeLessThan(1e-6);
        expect(
          await nativeVsReference(
            'cpu',
            [shape, shape],
            gradsOf((x, r) => tf.mul(tf.softmax(x), r)),
          ),
        ).toBeLessThan(TOL);
      }
      // an attention-sized map runs the multi-threaded path
      expect(await nativeVsReference('cpu', [[8, 512, 512]], (x) => tf.softmax(x))).toBeLessThan(1e-6);
    });
    it('a float32 tensor that shares a bool/int32 array (cpu Cast) is read correctly', async () => {
      expect(await nativeVsReference('cpu', [[3, 4]], (x) => tf.mul(tf.cast(tf.greater(x, 0), 'float32'), x))).toBe(0);
      expect(
        await nativeVsReference('cpu', [[3, 4]], (x) => tf.add(tf.cast(tf.cast(tf.mul(x, 3), 'int32'), 'float32'), 0.5)),
      ).toBe(0);
    });
    it('int32 and empty tensors run the stock kernels', async () => {
      expect(
        await nativeVsReference('cpu', [[3, 4]], (x) => tf.cast(tf.add(tf.cast(x, 'int32'), tf.scalar(2, 'int32')), 'float32')),
      ).toBe(0);
      expect(
        await nativeVsReference('cpu', [[0, 4]], (x) =>
          tf.add(
            tf.transpose(
              tf.pad(x, [
                [1, 0],
                [0, 0],
              ]),
            ),
            1,
          ),
        ),
      ).toBe(0);
    });
    it('leaks no tensors', async () => {
      await runOn('cpu', true, [[2, 3, 4]], (x) => {
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++)
          tf.dispose(tf.tidy(() => tf.sum(tf.add(tf.transpose(tf.slice(x, [0, 1, 0], [2, 2, 4])), 1), 1)));
        expect(tf.memory().numTensors).toBe(before);
        return x.clone();
      });
    });
  },
);
