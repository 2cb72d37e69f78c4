// The native EvdmFavorAttention kernels (favorAttentionHeads of @evdm/attention-mixed) vs the composed
// tfjs path (head split + favorAttention + merge), forward and every gradient, on both hosts; a
// finite-difference check of the native gradients; bad input; leaks.
import * as tf from '@tensorflow/tfjs-core';
import {
  favorAttentionHeads,
  favorAttentionHeadsComposed,
  favorKernelAvailable,
  orthogonalRandomFeatures,
} from '@evdm/attention-mixed';
import type { FavorStabilizer } from '@evdm/attention-mixed';
import { FAVOR_ATTENTION, Rng } from '@evdm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { directionalGradCheck, leakedTensors } from '../../../test-utils/tf';
import { unregisterNativeKernels } from '../src/index';
import { available, HOSTS, relErr, requireAddon, TOL, useHost as on } from './helpers';

requireAddon();

interface Case {
  b: number;
  l: number;
  heads: number;
  d: number;
  dv: number;
  m: number;
  stabilize: FavorStabilizer;
  epsilon: number;
}

// odd sizes, batch 1, two tokens, one and several heads, dv != d, m below / at / above a vector,
// every stabiliser, epsilon 0 and > 0; the last two are EVDM-L-KTH's 32x32 and 16x16 blocks
const CASES: Case[] = [
  { b: 2, l: 37, heads: 3, d: 5, dv: 7, m: 4, stabilize: 'performer', epsilon: 0 },
  { b: 3, l: 9, heads: 1, d: 8, dv: 3, m: 11, stabilize: 'none', epsilon: 1e-3 },
  { b: 1, l: 2, heads: 2, d: 3, dv: 2, m: 2, stabilize: 'exponent', epsilon: 0 },
  { b: 2, l: 65, heads: 4, d: 16, dv: 16, m: 17, stabilize: 'exponent', epsilon: 1e-4 },
  { b: 1, l: 1024, heads: 2, d: 96, dv: 96, m: 48, stabilize: 'exponent', epsilon: 0 },
  { b: 1, l: 256, heads: 3, d: 96, dv: 96, m: 48, stabilize: 'exponent', epsilon: 0 },
];

const label = (c: Case) => `B ${c.b} L ${c.l} heads ${c.heads} d ${c.d} dv ${c.dv} m ${c.m} ${c.stabilize} eps ${c.epsilon}`;

function inputs(c: Case): tf.Tensor[] {
  const q = tf.randomNormal([c.b, c.l, c.heads * c.d], 0, 1.5, 'float32', 1);
  const k = tf.randomNormal([c.b, c.l, c.heads * c.d], 0, 1.5, 'float32', 2);
  const v = tf.randomNormal([c.b, c.l, c.heads * c.dv], 0, 1, 'float32', 3);
  const w = tf.tensor2d(orthogonalRandomFeatures(c.m, c.d, new Rng(5n, 7n)), [c.m, c.d]);
  return [q, k, v, w];
}

type Op = typeof favorAttentionHeads;

/** Output and the gradients of q, k, v of sum(op(q, k, v) · dy). */
function run(c: Case, op: Op): Float32Array[] {
  const [q, k, v, w] = inputs(c);
  const opts = { stabilize: c.stabilize, epsilon: c.epsilon };
  const f = (a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
    op(a as tf.Tensor3D, b as tf.Tensor3D, cc as tf.Tensor3D, w as tf.Tensor2D, c.heads, opts);
  const y = f(q, k, v);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
  const grads = tf.grads((a, b, cc) => tf.sum(tf.mul(f(a, b, cc), dy)))([q, k, v]);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([q, k, v, w, y, dy, ...grads]);
  return out;
}

describe.skipIf(!available)('native EvdmFavorAttention vs the composed tfjs path', () => {
  afterAll(() => unregisterNativeKernels());

  for (const host of HOSTS) {
    for (const c of CASES) {
      it(`${host}: ${label(c)}: forward and the q, k, v gradients`, async () => {
        await on(host, false);
        expect(favorKernelAvailable()).toBe(false);
        const want = run(c, favorAttentionHeadsComposed);
        await on(host, true);
        expect(favorKernelAvailable()).toBe(true);
        const got = run(c, favorAttentionHeads);
        ['out', 'dq', 'dk', 'dv'].forEach((name, i) => {
          const e = relErr(got[i], want[i]);
          expect(e, `${name}: rel L2 ${e}`).toBeLessThan(TOL);
        });
      });
    }

    it(`${host}: native gradients match finite differences (float32, all inputs at once)`, async () => {
      await on(host, true);
      const c = CASES[0];
      const [q, k, v, w] = inputs(c);
      const f = (a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
        favorAttentionHeads(a as tf.Tensor3D, b as tf.Tensor3D, cc as tf.Tensor3D, w as tf.Tensor2D, c.heads);
      expect(directionalGradCheck(f, [q, k, v], { eps: 1e-2 })).toBeLessThan(2e-2);
      tf.dispose([q, k, v, w]);
    });

    it(`${host}: one token: the output is v and the query gets no gradient (up to rounding)`, async () => {
      await on(host, true);
      const c = { ...CASES[2], l: 1 };
      const [q, k, v, w] = inputs(c);
      const f = (a: tf.Tensor) =>
        favorAttentionHeads(a as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, w as tf.Tensor2D, c.heads);
      const y = f(q);
      expect(relErr(y.dataSync(), v.dataSync())).toBeLessThan(1e-6);
      const [dq] = tf.grads((a) => tf.sum(f(a)))([q]);
      expect(Math.max(...Array.from(dq.dataSync(), Math.abs))).toBeLessThan(1e-5);
      tf.dispose([q, k, v, w, y, dq]);
    });

    it(`${host}: no tensor leaks, forward or backward`, async () => {
      await on(host, true);
      const c = CASES[3];
      const [q, k, v, w] = inputs(c);
      const f = (a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
        tf.sum(favorAttentionHeads(a as tf.Tensor3D, b as tf.Tensor3D, cc as tf.Tensor3D, w as tf.Tensor2D, c.heads));
      expect(leakedTensors(() => tf.tidy(() => f(q, k, v)).dispose())).toBe(0);
      expect(leakedTensors(() => tf.dispose(tf.grads(f)([q, k, v])))).toBe(0);
      tf.dispose([q, k, v, w]);
    });

    it(`${host}: bad input is a clear error naming the op and shapes`, async () => {
      await on(host, true);
      const q = tf.zeros([1, 4, 6]) as tf.Tensor3D;
      const w = tf.zeros([2, 3]) as tf.Tensor2D;
      expect(() => favorAttentionHeads(tf.zeros([4, 6]) as unknown as tf.Tensor3D, q, q, w, 2)).toThrow(
        /favorAttentionHeads: q must be \[B, L, channels\], got q \[4,6\]/,
      );
      expect(() => favorAttentionHeads(q, q, q, w, 4)).toThrow(/heads \(4\) must divide the channels of q and v/);
      expect(() => favorAttentionHeads(q, q, q, tf.zeros([2, 4]) as tf.Tensor2D, 2)).toThrow(
        /projection must be \[m, 3\] .*projection \[2,4\]/,
      );
      expect(() => favorAttentionHeads(q, tf.zeros([1, 5, 6]) as tf.Tensor3D, q, w, 2)).toThrow(
        /q and k must have the same shape/,
      );
      expect(() => favorAttentionHeads(tf.zeros([1, 0, 6]) as tf.Tensor3D, q, q, w, 2)).toThrow(/q is empty/);
      // the kernel itself, called directly with shapes the op would have refused
      const attrs = { heads: 4, stabilizer: 2, epsilon: 0 } as unknown as tf.NamedAttrMap;
      expect(() => tf.engine().runKernel(FAVOR_ATTENTION, { q, k: q, v: q, projection: w }, attrs)).toThrow(
        /@evdm\/backend-native: EvdmFavorAttention: heads must be a positive integer dividing/,
      );
      tf.dispose([q, w]);
    });
  }
});
