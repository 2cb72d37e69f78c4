import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { flat, loadGolden, regenerate } from '../../../test-utils/golden';
import { gradCheck, leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import {
  blockDiagonalKernel,
  channelShuffle,
  channelShufflePerm,
  groupedConv1x1,
  GROUPED_CONV_METHODS,
} from '../src/grouped-conv';
import { firDownsample, firUpsample } from '../src/fir';
import { channelSplitPlan } from '../src/channel-split';

const gold = loadGolden('conv_group_shuffle.json').cases;

describe('grouped 1x1 conv + channel shuffle vs golden (torch, exact dyadic inputs)', () => {
  beforeAll(useCpu);
  const x = () => tf.tensor4d(flat(gold.input.x_nhwc), [1, 4, 4, 16]);
  const k = () => tf.tensor4d(flat(gold.grouped_conv1x1.weight_hwio_grouped), [1, 1, 4, 16]);
  const b = () => tf.tensor1d(gold.grouped_conv1x1.bias);

  it('regenerates the stored inputs from their seeds', () => {
    expect(regenerate(gold.input.generation)).toEqual(flat(gold.input.x_nchw));
    expect(regenerate(gold.grouped_conv1x1.weight_generation)).toEqual(flat(gold.grouped_conv1x1.weight_oihw));
  });

  for (const method of GROUPED_CONV_METHODS) {
    it(`${method}: grouped conv and shuffle are bit-exact, the chain within float32 rounding`, () => {
      const y = groupedConv1x1(x(), k(), b(), 4, method);
      expect(maxAbsDiff(y.dataSync(), flat(gold.grouped_conv1x1.output_nhwc))).toBe(0);
      const s = channelShuffle(y, 4);
      expect(maxAbsDiff(s.dataSync(), flat(gold.channel_shuffle.output_nhwc))).toBe(0);
      const w3 = tf.tensor4d(flat(gold.conv3x3_pad1.weight_hwio), [3, 3, 16, 8]);
      const chain = tf.add(tf.conv2d(s, w3, 1, 'same'), tf.tensor1d(gold.conv3x3_pad1.bias));
      // The chain's exact outputs need 25 significant bits (denominator 2^23, |y| up to 3.44), so
      // they are NOT all representable in float32: float32 accumulation rounds (measured 6e-7).
      expect(maxAbsDiff(chain.dataSync(), flat(gold.chain_gconv_shuffle_conv3x3.output_nhwc))).toBeLessThan(1e-6);
      const direct = tf.add(tf.conv2d(x(), w3, 1, 'same'), tf.tensor1d(gold.conv3x3_pad1.bias));
      expect(maxAbsDiff(direct.dataSync(), flat(gold.conv3x3_pad1.output_nhwc))).toBe(0);
    });
  }

  it('shuffle permutation and block-diagonal kernel equal the golden ones', () => {
    expect(channelShufflePerm(16, 4)).toEqual(gold.channel_shuffle.perm_out_from_in);
    const d = blockDiagonalKernel(k(), 4);
    expect(d.shape).toEqual([1, 1, 16, 16]);
    expect(maxAbsDiff(d.dataSync(), flat(gold.grouped_conv1x1.weight_hwio_dense_block_diagonal))).toBe(0);
    // gather by perm is the same as the reshape/transpose shuffle
    const t = tf.randomNormal([2, 3, 3, 12], 0, 1, 'float32', 3) as tf.Tensor4D;
    const viaGather = tf.gather(t, channelShufflePerm(12, 3), 3);
    expect(maxAbsDiff(channelShuffle(t, 3).dataSync(), viaGather.dataSync())).toBe(0);
  });

  it('all methods agree on uneven in/out widths and their gradients match finite differences', () => {
    const xi = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
    const ki = tf.randomNormal([1, 1, 2, 12], 0, 1, 'float32', 6) as tf.Tensor4D;
    const bi = tf.randomNormal([12], 0, 1, 'float32', 7) as tf.Tensor1D;
    const ref = groupedConv1x1(xi, ki, bi, 4, 'splitConcat').dataSync();
    for (const m of GROUPED_CONV_METHODS) {
      expect(maxAbsDiff(groupedConv1x1(xi, ki, bi, 4, m).dataSync(), ref)).toBeLessThan(1e-5);
      const err = gradCheck(
        (a, kk, bb) => groupedConv1x1(a as tf.Tensor4D, kk as tf.Tensor4D, bb as tf.Tensor1D, 4, m),
        [xi, ki, bi],
        { eps: 1e-2 },
      );
      expect(err).toBeLessThan(2e-2);
    }
    expect(leakedTensors(() => tf.dispose(groupedConv1x1(xi, ki, bi, 4)))).toBe(0);
  });

  it('rejects bad groups / kernels with clear errors', () => {
    const xi = tf.zeros([1, 2, 2, 8]) as tf.Tensor4D;
    expect(() => groupedConv1x1(xi, tf.zeros([1, 1, 2, 8]) as tf.Tensor4D, null, 3)).toThrow(
      /groups \(3\) must divide the 8 input/,
    );
    expect(() => groupedConv1x1(xi, tf.zeros([1, 1, 3, 8]) as tf.Tensor4D, null, 4)).toThrow(
      /kernel must be grouped HWIO \[1, 1, 2, cout\]/,
    );
    expect(() => channelShuffle(xi, 3)).toThrow(/groups \(3\)/);
  });
});

// Independent host-side evaluation of the 1-D formulas of docs/mcvd-reference.md §4.4, applied along H then W.
function fir1d(v: number[], mode: 'down' | 'up'): number[] {
  const at = (i: number) => (i >= 0 && i < v.length ? v[i]! : 0);
  if (mode === 'down')
    return Array.from(
      { length: v.length / 2 },
      (_, i) => (at(2 * i - 1) + 3 * at(2 * i) + 3 * at(2 * i + 1) + at(2 * i + 2)) / 8,
    );
  const out: number[] = [];
  for (let m = 0; m < v.length; m++) out.push(0.25 * at(m - 1) + 0.75 * at(m), 0.75 * at(m) + 0.25 * at(m + 1));
  return out;
}
function firHost(data: Float32Array, [b, h, w, c]: number[], mode: 'down' | 'up'): { out: number[]; shape: number[] } {
  const f = mode === 'down' ? 0.5 : 2;
  const ho = h * f;
  const wo = w * f;
  const idx = (bb: number, y: number, xx: number, cc: number, H: number, W: number) => ((bb * H + y) * W + xx) * c + cc;
  const mid = new Array<number>(b * ho * w * c).fill(0);
  for (let bb = 0; bb < b; bb++)
    for (let x = 0; x < w; x++)
      for (let cc = 0; cc < c; cc++) {
        const col = fir1d(
          Array.from({ length: h }, (_, y) => data[idx(bb, y, x, cc, h, w)]!),
          mode,
        );
        col.forEach((v, y) => (mid[idx(bb, y, x, cc, ho, w)] = v));
      }
  const out = new Array<number>(b * ho * wo * c).fill(0);
  for (let bb = 0; bb < b; bb++)
    for (let y = 0; y < ho; y++)
      for (let cc = 0; cc < c; cc++) {
        const row = fir1d(
          Array.from({ length: w }, (_, x) => mid[idx(bb, y, x, cc, ho, w)]!),
          mode,
        );
        row.forEach((v, x) => (out[idx(bb, y, x, cc, ho, wo)] = v));
      }
  return { out, shape: [b, ho, wo, c] };
}

describe('FIR [1,3,3,1] resampling (docs/mcvd-reference.md §4.4)', () => {
  beforeAll(useCpu);
  const x = tf.randomNormal([2, 6, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;

  it('down x2 equals the 1-D formula with zero borders', () => {
    const y = firDownsample(x);
    const ref = firHost(x.dataSync() as Float32Array, x.shape, 'down');
    expect(y.shape).toEqual(ref.shape);
    expect(maxAbsDiff(y.dataSync(), ref.out)).toBeLessThan(1e-6);
  });

  it('down x2 equals the depthwise 4x4 conv outer(k,k)/64, stride 2, padding 1', () => {
    const k = [1, 3, 3, 1];
    const kernel = tf.tile(
      tf.reshape(tf.tensor(k.flatMap((a) => k.map((bb) => (a * bb) / 64))), [4, 4, 1, 1]),
      [1, 1, 3, 1],
    ) as tf.Tensor4D;
    const ref = tf.depthwiseConv2d(
      tf.pad(x, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
      kernel,
      2,
      'valid',
    );
    expect(maxAbsDiff(firDownsample(x).dataSync(), ref.dataSync())).toBeLessThan(1e-6);
  });

  it('up x2 equals the 1-D formula (edge output 0.75·x[0], not bilinear)', () => {
    const y = firUpsample(x);
    const ref = firHost(x.dataSync() as Float32Array, x.shape, 'up');
    expect(y.shape).toEqual(ref.shape);
    expect(maxAbsDiff(y.dataSync(), ref.out)).toBeLessThan(1e-6);
    const ones = firUpsample(tf.ones([1, 4, 4, 1]) as tf.Tensor4D).dataSync();
    expect(ones[0]).toBeCloseTo(0.75 * 0.75, 7); // corner: both axes give 0.75
    expect(ones[2 * 8 + 2]).toBeCloseTo(1, 7); // interior
  });

  it("down x2's gradient equals tfjs' own depthwise-conv gradient; up x2's satisfies <U x, r> = <x, U^T r>", () => {
    const k = [1, 3, 3, 1];
    const kernel = tf.tile(
      tf.reshape(tf.tensor(k.flatMap((a) => k.map((bb) => (a * bb) / 64))), [4, 4, 1, 1]),
      [1, 1, 3, 1],
    ) as tf.Tensor4D;
    const rDown = tf.randomNormal([2, 3, 4, 3], 0, 1, 'float32', 13);
    const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(firDownsample(a as tf.Tensor4D), rDown)))(x);
    const ref = tf.grad((a: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.depthwiseConv2d(
            tf.pad(a as tf.Tensor4D, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]),
            kernel,
            2,
            'valid',
          ),
          rDown,
        ),
      ),
    )(x);
    expect(maxAbsDiff(ours.dataSync(), ref.dataSync())).toBeLessThan(1e-6);
    const rUp = tf.randomNormal([2, 12, 16, 3], 0, 1, 'float32', 14);
    const gUp = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(firUpsample(a as tf.Tensor4D), rUp)))(x);
    const lhs = tf.sum(tf.mul(firUpsample(x), rUp)).dataSync()[0]!;
    const rhs = tf.sum(tf.mul(x, gUp)).dataSync()[0]!;
    expect(Math.abs(lhs - rhs) / Math.abs(lhs)).toBeLessThan(1e-5);
    tf.dispose([kernel, rDown, ours, ref, rUp, gUp]);
  });

  it('gradients match finite differences; no leaks; odd sizes rejected', () => {
    const xs = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 12) as tf.Tensor4D;
    expect(gradCheck((a) => firDownsample(a as tf.Tensor4D), [xs])).toBeLessThan(1e-2);
    expect(gradCheck((a) => firUpsample(a as tf.Tensor4D), [xs])).toBeLessThan(1e-2);
    expect(leakedTensors(() => tf.dispose([firDownsample(xs), firUpsample(xs)]))).toBe(0);
    expect(
      leakedTensors(() => tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(firUpsample(firDownsample(a as tf.Tensor4D))))([xs]))),
    ).toBe(0);
    expect(() => firDownsample(tf.zeros([1, 5, 4, 1]) as tf.Tensor4D)).toThrow(/even, got 5x4/);
  });
});

describe('channelSplitPlan (paper Fig. 2, docs/evdm-reconstruction.md §2)', () => {
  it('expand case (cin < cout): all channels to the bottleneck, paths (cout-cin)/2, direct cin', () => {
    expect(channelSplitPlan(96, 192)).toEqual({ case: 'expand', direct: 96, bottleneckIn: 96, pathOut: 48 });
  });
  it('reduce case (cin >= cout): cout/2 direct, the rest to the bottleneck, paths cout/4', () => {
    expect(channelSplitPlan(768, 384)).toEqual({ case: 'reduce', direct: 192, bottleneckIn: 576, pathOut: 96 });
    expect(channelSplitPlan(96, 96)).toEqual({ case: 'reduce', direct: 48, bottleneckIn: 48, pathOut: 24 });
  });
  it('always gives cout output channels and rejects impossible widths', () => {
    for (const [ci, co] of [
      [96, 96],
      [288, 96],
      [96, 192],
      [672, 384],
      [20, 24],
    ] as const) {
      const p = channelSplitPlan(ci, co);
      expect(p.direct + 2 * p.pathOut).toBe(co);
      expect(p.bottleneckIn + (p.case === 'reduce' ? p.direct : 0)).toBe(ci);
    }
    expect(() => channelSplitPlan(95, 192)).toThrow(/must be even/);
    expect(() => channelSplitPlan(100, 98)).toThrow(/divisible by 4/);
    expect(() => channelSplitPlan(-4, 8)).toThrow(/cin must be a positive integer/);
  });
});
