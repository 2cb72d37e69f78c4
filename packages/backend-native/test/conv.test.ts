import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { nativeCacheSize } from '../src/index';
import { available, gradsOf, HOSTS, nativeVsReference, requireAddon, TOL } from './helpers';

requireAddon();

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  s: [number, number];
  pad: Pad;
  d?: number;
}
const cases: ConvCase[] = [
  { b: 2, h: 7, w: 9, ci: 3, co: 5, kh: 3, kw: 3, s: [1, 1], pad: 'same' },
  { b: 3, h: 9, w: 7, ci: 6, co: 10, kh: 3, kw: 3, s: [2, 2], pad: 'same' },
  { b: 2, h: 8, w: 6, ci: 5, co: 7, kh: 3, kw: 3, s: [2, 2], pad: 'valid' },
  { b: 2, h: 11, w: 8, ci: 4, co: 6, kh: 3, kw: 3, s: [3, 3], pad: 'valid' },
  { b: 2, h: 5, w: 6, ci: 13, co: 9, kh: 1, kw: 1, s: [1, 1], pad: 'same' },
  { b: 3, h: 7, w: 5, ci: 4, co: 6, kh: 1, kw: 1, s: [2, 2], pad: 'valid' },
  { b: 1, h: 10, w: 11, ci: 12, co: 20, kh: 5, kw: 3, s: [2, 1], pad: 'same' },
  { b: 2, h: 9, w: 10, ci: 5, co: 3, kh: 4, kw: 4, s: [2, 2], pad: 'valid' },
  {
    b: 2,
    h: 8,
    w: 9,
    ci: 7,
    co: 5,
    kh: 3,
    kw: 3,
    s: [1, 1],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  {
    b: 2,
    h: 9,
    w: 9,
    ci: 4,
    co: 8,
    kh: 3,
    kw: 3,
    s: [2, 2],
    pad: [
      [0, 0],
      [1, 0],
      [1, 2],
      [0, 0],
    ],
  },
  { b: 4, h: 16, w: 16, ci: 32, co: 64, kh: 3, kw: 3, s: [1, 1], pad: 'same' },
];
const label = (c: ConvCase) =>
  `${c.kh}x${c.kw} s${c.s.join('x')} ${typeof c.pad === 'string' ? c.pad : 'explicit'}${c.d ? ` d${c.d}` : ''} x[${c.b},${c.h},${c.w},${c.ci}] co=${c.co}`;

describe.skipIf(!available)('native Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter vs pure TF.js', () => {
  for (const host of HOSTS) {
    for (const c of cases) {
      it(`${host}: ${label(c)} forward + dx + dW`, async () => {
        const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
        const shapes = [
          [c.b, c.h, c.w, c.ci],
          [c.kh, c.kw, c.ci, c.co],
        ];
        expect(await nativeVsReference(host, shapes, conv)).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, gradsOf(conv))).toBeLessThan(TOL);
      });
    }
    it(`${host}: dilated 3x3 (dilation 2, forward only: tfjs has no dilated conv gradients)`, async () => {
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2);
      expect(
        await nativeVsReference(
          host,
          [
            [2, 11, 9, 5],
            [3, 3, 5, 6],
          ],
          conv,
        ),
      ).toBeLessThan(TOL);
      const valid = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid', 'NHWC', [2, 3]);
      expect(
        await nativeVsReference(
          host,
          [
            [2, 12, 13, 4],
            [3, 3, 4, 5],
          ],
          valid,
        ),
      ).toBeLessThan(TOL);
    });
    it(`${host}: FusedConv2D with bias and every fused activation; prelu falls back to the stock kernel`, async () => {
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.fused.conv2d({
            x: tf.mul(x, 3) as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            strides: 2,
            pad: 'same',
            bias: b,
            activation,
            leakyreluAlpha: 0.1,
          });
        const shapes = [[2, 9, 8, 6], [3, 3, 6, 7], [7]];
        expect(await nativeVsReference(host, shapes, f), activation).toBeLessThan(TOL);
        if (activation === 'linear' || activation === 'relu')
          expect(await nativeVsReference(host, shapes, gradsOf(f)), `${activation} grads`).toBeLessThan(TOL);
      }
      const prelu = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, a: tf.Tensor) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: b,
          activation: 'prelu',
          preluActivationWeights: a,
        });
      expect(await nativeVsReference(host, [[1, 5, 5, 3], [3, 3, 3, 4], [4], [4]], prelu)).toBeLessThan(TOL);
    });
    it(`${host}: empty batch falls back to the stock kernel; a 256x256x16 conv runs natively`, async () => {
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
      expect(
        await nativeVsReference(
          host,
          [
            [0, 5, 5, 3],
            [3, 3, 3, 4],
          ],
          (x, w) => tf.add(conv(x, w), 1),
        ),
      ).toBe(0);
      expect(
        await nativeVsReference(
          host,
          [
            [1, 256, 256, 16],
            [3, 3, 16, 8],
          ],
          conv,
        ),
      ).toBeLessThan(TOL);
    });
  }
  it('caches one oneDNN primitive per shape', () => {
    expect(nativeCacheSize()).toBeGreaterThan(0);
  });
});
