import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, leakedTensors, relL2, useCpu } from '../../../test-utils/tf';
import { channelGather, channelGatherComposed, channelGatherKernelAvailable, type ChannelGatherArgs } from '../src/index';
import { gatherCases, gatherRef, scatterRef, seeded, type GatherCase } from './channel-gather-ref';

beforeAll(useCpu);

const TOL = 1e-4;

function tensorsOf(c: GatherCase, seed = 1) {
  const [b, h, w] = c.bhw;
  const xs = c.channels.map((ch, i) => tf.tensor4d(seeded(b * h * w * ch, seed + i), [b, h, w, ch]));
  const addend = c.addend ? tf.tensor4d(seeded(b * h * w * c.perm.length, seed + 99), [b, h, w, c.perm.length]) : undefined;
  return { xs, addend };
}

function argsOf(c: GatherCase, ts: tf.Tensor[]): ChannelGatherArgs {
  const n = c.channels.length;
  return {
    inputs: ts.slice(0, n) as tf.Tensor4D[],
    perm: c.perm,
    addPerm: c.addPerm,
    addend: c.addend ? (ts[n] as tf.Tensor4D) : undefined,
    scale: c.scale,
  };
}

describe('channelGather (composed tfjs path) vs a plain-JS reference', () => {
  it('no kernel is registered on the plain cpu backend, so channelGather runs the composed ops', () => {
    expect(channelGatherKernelAvailable()).toBe(false);
  });

  for (const c of gatherCases()) {
    it(`${c.label}: forward and every gradient`, () => {
      const { xs, addend } = tensorsOf(c);
      const all = addend ? [...xs, addend] : xs;
      const rows = c.bhw[0] * c.bhw[1] * c.bhw[2];
      const y = channelGather(argsOf(c, all));
      expect(y.shape).toEqual([...c.bhw, c.perm.length]);
      const want = gatherRef(
        xs.map((x) => x.dataSync() as Float32Array),
        c.channels,
        rows,
        c.perm,
        addend ? (addend.dataSync() as Float32Array) : null,
        c.scale,
        c.addPerm,
      );
      expect(relL2(y.dataSync(), want)).toBeLessThan(TOL);
      const dy = tf.tensor4d(seeded(y.size, 7), y.shape);
      const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(channelGatherComposed(argsOf(c, ts)), dy)))(all);
      const ref = scatterRef(dy.dataSync() as Float32Array, c.channels, rows, c.perm, c.addend, c.scale, c.addPerm);
      expect(grads.length).toBe(ref.length);
      grads.forEach((g, i) => {
        expect(g.shape).toEqual(all[i].shape);
        expect(relL2(g.dataSync(), ref[i])).toBeLessThan(TOL);
      });
      tf.dispose([...all, y, dy, ...grads]);
    });
  }

  it('gradients agree with central finite differences', () => {
    for (const c of gatherCases().slice(0, 12)) {
      const { xs, addend } = tensorsOf(c, 5);
      const all = addend ? [...xs, addend] : xs;
      const f = (...ts: tf.Tensor[]) => channelGather(argsOf(c, ts));
      // the op is linear: differences are exact up to float32 rounding
      expect(gradCheck(f, all, { eps: 1e-2, probes: 8 })).toBeLessThan(2e-3);
      tf.dispose(all);
    }
  });

  it('leaks no tensors, forward or backward', () => {
    const c = gatherCases()[0];
    const { xs } = tensorsOf(c);
    const step = () => {
      const g = tf.grads((...ts: tf.Tensor[]) => tf.sum(channelGather(argsOf(c, ts))))(xs);
      tf.dispose(g);
      channelGather(argsOf(c, xs)).dispose();
    };
    expect(leakedTensors(step)).toBe(0);
    tf.dispose(xs);
  });

  it('bad input: a clear error naming the op and the shapes', () => {
    const a = tf.zeros([2, 3, 3, 4]) as tf.Tensor4D;
    const b = tf.zeros([2, 3, 4, 2]) as tf.Tensor4D;
    const e = tf.zeros([2, 0, 3, 2]) as tf.Tensor4D;
    const r3 = tf.zeros([2, 3, 4]) as unknown as tf.Tensor4D;
    const bad: [ChannelGatherArgs, RegExp][] = [
      [{ inputs: [], perm: [0] }, /channelGather: inputs must be a non-empty array/],
      [{ inputs: [r3], perm: [0] }, /channelGather: inputs\[0\] must be NHWC \[B, H, W, C\], got shape \[2,3,4\]/],
      [
        { inputs: [a, b], perm: [0] },
        /channelGather: inputs must share \[B, H, W\]; inputs\[1\] is \[2,3,4,2\], inputs\[0\] is \[2,3,3,4\]/,
      ],
      [{ inputs: [a], perm: [0, 4] }, /channelGather: perm\[1\] = 4 is out of range: the inputs \[2,3,3,4\] have 4 channels/],
      [{ inputs: [a], perm: [1.5] }, /perm\[0\] = 1.5 is out of range/],
      [{ inputs: [a], perm: [2, 2] }, /channelGather: channel 2 is read twice \(perm\[1\]\)/],
      [{ inputs: [a], perm: [0, 1], addPerm: [2, 1] }, /channelGather: channel 1 is read twice \(addPerm\[1\]\)/],
      [{ inputs: [a], perm: [0, 1], addPerm: [2] }, /channelGather: addPerm must be an array of 2 channel indices/],
      [{ inputs: [a], perm: [0], addPerm: [7] }, /channelGather: addPerm\[0\] = 7 is out of range/],
      [{ inputs: [a], perm: [] }, /channelGather: perm must be a non-empty array/],
      [{ inputs: [e], perm: [0] }, /channelGather: inputs\[0\] is empty, shape \[2,0,3,2\]/],
      [
        { inputs: [a], perm: [0, 1], addend: a },
        /channelGather: addend must be float32 \[2,3,3,2\] \(the output shape\), got float32 \[2,3,3,4\]/,
      ],
      [{ inputs: [a], perm: [0], scale: Number.NaN }, /channelGather: scale must be a finite number/],
    ];
    for (const [args, re] of bad) expect(() => channelGather(args)).toThrow(re);
    tf.dispose([a, b, e, r3]);
  });
});
