import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { flat, loadGolden, regenerate } from '../../../test-utils/golden';
import { gradCheck, leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { groupNorm, mcvdGroupCount, setGroupNormImplementation } from '../src/group-norm';

const gold = loadGolden('groupnorm.json');

describe('groupNorm vs golden (torch.nn.GroupNorm, float64 reference)', () => {
  beforeAll(useCpu);
  const x = tf.tensor(flat(gold.x_nhwc), [2, 4, 4, 64]);
  const gamma = tf.tensor1d(gold.gamma);
  const beta = tf.tensor1d(gold.beta);

  it('regenerates the golden input exactly', () => {
    expect(regenerate(gold.x_generation)).toEqual(flat(gold.x_nchw));
  });

  for (const c of gold.cases) {
    it(`${c.name} (${c.input}) matches to 5e-6`, () => {
      const input = c.input === 'x' ? x : tf.div(x, 1024);
      const y = groupNorm({ x: input, groups: c.num_groups, eps: c.eps, gamma, beta });
      const err = maxAbsDiff(y.dataSync(), flat(c.output_nhwc));
      expect(err).toBeLessThan(5e-6);
      tf.dispose([y, input === x ? [] : input].flat());
    });
  }

  it('channelStart: a window of whole groups equals the same channels of torch output', () => {
    for (const c of gold.cases) {
      const per = 64 / c.num_groups;
      const start = per * Math.ceil(c.num_groups / 2);
      const input = c.input === 'x' ? x : tf.div(x, 1024);
      const y = groupNorm({ x: input, groups: c.num_groups, eps: c.eps, gamma, beta, channelStart: start });
      expect(y.shape).toEqual([2, 4, 4, 64 - start]);
      const full = flat(c.output_nhwc);
      const want = full.filter((_: number, i: number) => i % 64 >= start);
      expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(5e-6);
      tf.dispose([y, input === x ? [] : input].flat());
    }
  });

  it('5-D video input gives torch joint statistics; folding frames gives per-frame statistics', () => {
    const v = gold.video;
    const [n, c, t, h, w] = v.generation.shape;
    const xv = tf.tensor(flat(v.x_nthwc), [n, t, h, w, c]);
    const g = tf.tensor1d(gold.gamma.slice(0, c));
    const b = tf.tensor1d(gold.beta.slice(0, c));
    const joint = groupNorm({ x: xv, groups: v.num_groups, eps: v.eps, gamma: g, beta: b });
    expect(maxAbsDiff(joint.dataSync(), flat(v.joint_output_nthwc))).toBeLessThan(5e-6);
    const perFrame = groupNorm({ x: tf.reshape(xv, [n * t, h, w, c]), groups: v.num_groups, eps: v.eps, gamma: g, beta: b });
    expect(maxAbsDiff(perFrame.dataSync(), flat(v.per_frame_output_nthwc))).toBeLessThan(5e-6);
    tf.dispose([xv, g, b, joint, perFrame]);
  });
});

describe('groupNorm modulation, activation, gradients', () => {
  beforeAll(useCpu);

  it('applies (1+scale), shift and SiLU in that order', () => {
    const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 1);
    const scale = tf.randomNormal([2, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
    const shift = tf.randomNormal([2, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
    const base = groupNorm({ x, groups: 4, eps: 1e-5 });
    const pre = tf.add(tf.mul(base, tf.reshape(tf.add(scale, 1), [2, 1, 1, 8])), tf.reshape(shift, [2, 1, 1, 8]));
    const expected = tf.mul(pre, tf.sigmoid(pre));
    const y = groupNorm({ x, groups: 4, eps: 1e-5, scale, shift, activation: 'silu' });
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBeLessThan(1e-6);
    const yRelu = groupNorm({ x, groups: 4, eps: 1e-5, scale, shift, activation: 'relu' });
    expect(
      maxAbsDiff(
        yRelu.dataSync(),
        Float32Array.from(pre.dataSync(), (v) => Math.max(v, 0)),
      ),
    ).toBeLessThan(1e-6);
    expect(() => groupNorm({ x, groups: 4, eps: 1e-5, activation: 'gelu' as 'relu' })).toThrow(
      /activation must be 'none', 'silu' or 'relu', got "gelu"/,
    );
    yRelu.dispose();
    // normalised groups have zero mean and unit (biased) variance
    const g = tf.reshape(base, [2, 9, 4, 2]);
    const { mean, variance } = tf.moments(g, [1, 3]);
    expect(maxAbsDiff(mean.dataSync(), new Float32Array(8))).toBeLessThan(1e-5);
    expect(maxAbsDiff(variance.dataSync(), new Float32Array(8).fill(1))).toBeLessThan(1e-3);
    tf.dispose([x, scale, shift, base, pre, expected, y, g, mean, variance]);
  });

  it('has correct gradients in every argument (finite differences)', () => {
    const x = tf.randomNormal([2, 3, 2, 8], 0, 1, 'float32', 4);
    const gamma = tf.randomNormal([8], 1, 0.2, 'float32', 5) as tf.Tensor1D;
    const beta = tf.randomNormal([8], 0, 0.2, 'float32', 6) as tf.Tensor1D;
    const scale = tf.randomNormal([2, 8], 0, 0.3, 'float32', 7) as tf.Tensor2D;
    const shift = tf.randomNormal([2, 8], 0, 0.3, 'float32', 8) as tf.Tensor2D;
    const err = gradCheck(
      (a, g, b, s, t) =>
        groupNorm({
          x: a,
          groups: 2,
          eps: 1e-5,
          gamma: g as tf.Tensor1D,
          beta: b as tf.Tensor1D,
          scale: s as tf.Tensor2D,
          shift: t as tf.Tensor2D,
          activation: 'silu',
        }),
      [x, gamma, beta, scale, shift],
      { eps: 1e-2, probes: 5 },
    );
    expect(err).toBeLessThan(2e-2);
    tf.dispose([x, gamma, beta, scale, shift]);
  });

  it('does not leak tensors', () => {
    const x = tf.randomNormal([1, 4, 4, 8]);
    expect(leakedTensors(() => groupNorm({ x, groups: 4, eps: 1e-5, activation: 'silu' }).dispose())).toBe(0);
    x.dispose();
  });

  it('rejects bad arguments clearly', () => {
    const x = tf.zeros([1, 2, 2, 6]);
    expect(() => groupNorm({ x, groups: 4, eps: 1e-5 })).toThrow(
      /groups \(4\) must be a positive integer dividing the 6 channels/,
    );
    expect(() => groupNorm({ x: tf.zeros([2, 6]), groups: 2, eps: 1e-5 })).toThrow(/NHWC/);
    expect(() => groupNorm({ x, groups: 2, eps: 0 })).toThrow(/eps/);
    expect(() => groupNorm({ x, groups: 2, eps: 1e-5, gamma: tf.ones([5]) as tf.Tensor1D })).toThrow(
      /gamma must have shape \[6\]/,
    );
    expect(() => groupNorm({ x, groups: 2, eps: 1e-5, scale: tf.ones([2, 6]) as tf.Tensor2D })).toThrow(
      /scale must have shape \[1, 6\]/,
    );
    expect(() => groupNorm({ x, groups: 2, eps: 1e-5, modulation: tf.ones([1, 6]) as tf.Tensor2D })).toThrow(
      /modulation must have shape \[1, 12\] \(scale and shift\), got \[1,6\]/,
    );
    const m = tf.ones([1, 12]) as tf.Tensor2D;
    expect(() => groupNorm({ x, groups: 2, eps: 1e-5, modulation: m, shift: tf.ones([1, 6]) as tf.Tensor2D })).toThrow(
      /either modulation or scale \/ shift/,
    );
    for (const start of [3, 6, -2, 1.5])
      expect(() => groupNorm({ x, groups: 3, eps: 1e-5, channelStart: start })).toThrow(
        new RegExp(`channelStart \\(${start}\\) must be a whole number of groups \\(2 channels each\\) below the 6 channels`),
      );
    // the packed form is the same function as its two halves
    const xr = tf.randomNormal([2, 3, 3, 6], 0, 1, 'float32', 5);
    const mr = tf.randomNormal([2, 12], 0, 1, 'float32', 6) as tf.Tensor2D;
    const [sc, sh] = tf.split(mr, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const a = groupNorm({ x: xr, groups: 3, eps: 1e-5, modulation: mr, activation: 'silu' });
    const b = groupNorm({ x: xr, groups: 3, eps: 1e-5, scale: sc, shift: sh, activation: 'silu' });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  });

  it('uses a plugged-in implementation and restores the default', () => {
    const x = tf.ones([1, 2, 2, 4]);
    setGroupNormImplementation(() => tf.fill([1, 2, 2, 4], 7));
    expect(groupNorm({ x, groups: 2, eps: 1e-5 }).dataSync()[0]).toBe(7);
    setGroupNormImplementation(null);
    expect(groupNorm({ x, groups: 2, eps: 1e-5 }).dataSync()[0]).toBe(0);
  });
});

describe('mcvdGroupCount', () => {
  it('follows MCVD: 16 @64, 24 @96, 32 for the other widths', () => {
    expect(mcvdGroupCount(64)).toBe(16);
    expect(mcvdGroupCount(96)).toBe(24);
    for (const c of [128, 192, 288, 320, 384, 576, 768, 2304]) expect(mcvdGroupCount(c)).toBe(32);
    expect(mcvdGroupCount(15)).toBe(3);
    expect(() => mcvdGroupCount(0)).toThrow(/positive integer/);
  });
});
