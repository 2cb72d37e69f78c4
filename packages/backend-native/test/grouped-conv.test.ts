// The native grouped convolution (EvdmGroupedConv2D + backprops) and the layers-brp ops built on it
// (groupedConv1x1, FIR up/down), against the composed pure-TF.js paths of layers-brp: forward and
// every gradient, finite differences, leaks, bad input.
import * as tf from '@tensorflow/tfjs-core';
import { firDownsample, firUpsample, groupedConv1x1, nativeGroupedConv2d, nativeGroupedConvAvailable } from '@evdm/layers-brp';
import { describe, expect, it } from 'vitest';
import { gradCheck, leakedTensors } from '../../../test-utils/tf';
import { registerNativeKernels, unregisterNativeKernels } from '../src/index';
import { available, gradsOf, HOSTS, nativeVsReference, requireAddon, TOL } from './helpers';

requireAddon();

// (cin, cout, groups) of every grouped shortcut of the presets (evdm-l: 4 groups; evdm / mcvd: 1),
// collected from DenoisingUNet on each dataset preset; cin/groups ranges 16..576.
const SHORTCUTS: Array<[number, number, number]> = [
  [64, 128, 4],
  [512, 256, 4],
  [448, 256, 4],
  [96, 192, 4],
  [288, 96, 4],
  [768, 384, 4],
  [672, 384, 4],
  [480, 288, 4],
  [576, 288, 4],
  [1344, 768, 4],
  [2304, 1152, 4],
  [2016, 1152, 4],
  [192, 96, 1],
  [768, 384, 1],
  [96, 192, 1],
];
// FIR channel counts of the presets (block inputs of resampling blocks, mcvd and evdm alike)
const FIR_CHANNELS = [64, 96, 128, 192, 256, 288, 384, 576, 768, 864, 1152];

/** Composed reference of a general grouped conv: split channels, one tf.conv2d per group, concat. */
function composedGroupedConv(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D | null,
  g: number,
  strides: [number, number],
  pad: number[],
): tf.Tensor4D {
  const xp = tf.pad(x, [
    [0, 0],
    [pad[0], pad[1]],
    [pad[2], pad[3]],
    [0, 0],
  ]);
  const xs = tf.split(xp, g, 3);
  const ws = tf.split(w, g, 3);
  const y = tf.concat(
    xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, strides, 'valid')),
    3,
  );
  return (b ? tf.add(y, b) : y) as tf.Tensor4D;
}

describe.skipIf(!available)('native grouped convolution vs pure TF.js', () => {
  for (const host of HOSTS) {
    // general kernel: odd sizes, batch 1, strides, asymmetric padding, depthwise (groups = C) and multiplier 2
    const general: Array<{ x: number[]; k: number[]; g: number; s: [number, number]; pad: number[] }> = [
      { x: [2, 7, 9, 12], k: [3, 3, 3, 8], g: 4, s: [1, 1], pad: [1, 1, 1, 1] },
      { x: [1, 9, 7, 6], k: [4, 4, 1, 6], g: 6, s: [2, 2], pad: [1, 1, 1, 1] },
      { x: [3, 5, 8, 4], k: [3, 2, 1, 8], g: 4, s: [2, 1], pad: [0, 2, 1, 0] },
      { x: [1, 5, 5, 15], k: [1, 1, 5, 9], g: 3, s: [1, 1], pad: [0, 0, 0, 0] },
    ];
    for (const c of general) {
      it(`${host}: x[${c.x}] filter[${c.k}] groups ${c.g} strides ${c.s} pad ${c.pad}: forward + dx + dW + db`, async () => {
        const geo = { strides: c.s, pad: c.pad as [number, number, number, number], groups: c.g };
        const shapes = [c.x, c.k, [c.k[3]]];
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          nativeGroupedConvAvailable()
            ? nativeGroupedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, geo)
            : composedGroupedConv(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, c.g, c.s, c.pad);
        expect(await nativeVsReference(host, shapes, f)).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, gradsOf(f))).toBeLessThan(TOL);
      });
    }
    it(`${host}: groupedConv1x1 for every shortcut shape of the presets (odd spatial sizes, batch 1 and 2)`, async () => {
      for (const [cin, cout, g] of SHORTCUTS) {
        const f = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
          groupedConv1x1(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D, g);
        const shapes = [[cin > 1000 ? 1 : 2, 3, 5, cin], [1, 1, cin / g, cout], [cout]];
        expect(await nativeVsReference(host, shapes, f), `${cin}->${cout} g${g}`).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, gradsOf(f)), `${cin}->${cout} g${g} grads`).toBeLessThan(TOL);
        const noBias = (x: tf.Tensor, k: tf.Tensor) => groupedConv1x1(x as tf.Tensor4D, k as tf.Tensor4D, null, g);
        expect(await nativeVsReference(host, shapes.slice(0, 2), gradsOf(noBias)), `${cin}->${cout} g${g} no bias`).toBeLessThan(
          TOL,
        );
      }
    });
    it(`${host}: FIR down / up for every preset channel count, odd and batch-1 shapes, with gradients`, async () => {
      for (const c of FIR_CHANNELS) {
        const shapes = [[c > 500 ? 1 : 2, 6, 10, c]];
        const down = (x: tf.Tensor) => firDownsample(x as tf.Tensor4D);
        const up = (x: tf.Tensor) => firUpsample(x as tf.Tensor4D);
        expect(await nativeVsReference(host, shapes, down), `down C=${c}`).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, up), `up C=${c}`).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, gradsOf(down)), `down grad C=${c}`).toBeLessThan(TOL);
        expect(await nativeVsReference(host, shapes, gradsOf(up)), `up grad C=${c}`).toBeLessThan(TOL);
      }
      const odd = (x: tf.Tensor) => [firUpsample(x as tf.Tensor4D), ...gradsOf((y) => firUpsample(y as tf.Tensor4D))(x)];
      expect(await nativeVsReference(host, [[1, 5, 3, 7]], odd)).toBeLessThan(TOL);
      expect(await nativeVsReference(host, [[1, 2, 2, 1]], (x) => firDownsample(x as tf.Tensor4D))).toBeLessThan(TOL);
    });
  }

  it('finite differences, no leaks, bad input errors name the kernel and the shapes', async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    registerNativeKernels('cpu');
    try {
      expect(nativeGroupedConvAvailable()).toBe(true);
      const x = tf.randomNormal([1, 5, 6, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 4, 6], 0, 1, 'float32', 4) as tf.Tensor4D;
      const b = tf.randomNormal([6], 0, 1, 'float32', 5) as tf.Tensor1D;
      const geo = { strides: [2, 1] as [number, number], pad: [1, 1, 0, 2] as [number, number, number, number], groups: 2 };
      const f = (a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
        nativeGroupedConv2d(a as tf.Tensor4D, k as tf.Tensor4D, c as tf.Tensor1D, geo);
      expect(gradCheck(f, [x, w, b], { probes: 8 })).toBeLessThan(1e-2);
      const xs = tf.randomNormal([1, 4, 6, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      expect(gradCheck((a) => firDownsample(a as tf.Tensor4D), [xs])).toBeLessThan(1e-2);
      expect(gradCheck((a) => firUpsample(a as tf.Tensor4D), [xs])).toBeLessThan(1e-2);
      const k1 = tf.randomNormal([1, 1, 2, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
      const b8 = tf.randomNormal([8], 0, 1, 'float32', 8) as tf.Tensor1D;
      expect(
        gradCheck((a, k, c) => groupedConv1x1(a as tf.Tensor4D, k as tf.Tensor4D, c as tf.Tensor1D, 4), [x, k1, b8]),
      ).toBeLessThan(1e-2);

      expect(
        leakedTensors(() => tf.dispose([f(x, w, b), firDownsample(xs), firUpsample(xs), groupedConv1x1(x, k1, b8, 4)])),
      ).toBe(0);
      expect(
        leakedTensors(() => tf.dispose(tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) => tf.sum(f(a, k, c)))([x, w, b]))),
      ).toBe(0);
      expect(
        leakedTensors(() => tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(firUpsample(firDownsample(a as tf.Tensor4D))))([xs]))),
      ).toBe(0);
      expect(
        leakedTensors(() =>
          tf.dispose(
            tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(groupedConv1x1(a as tf.Tensor4D, k as tf.Tensor4D, b8, 4)))([x, k1]),
          ),
        ),
      ).toBe(0);

      const run = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>, name = 'EvdmGroupedConv2D') =>
        tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);
      expect(() => run({ x: tf.zeros([5, 6, 8]), filter: w }, geo)).toThrow(
        /EvdmGroupedConv2D: x must be NHWC rank 4, got rank 3 \(x \[5,6,8\], filter \[3,3,4,6\]/,
      );
      expect(() => run({ x, filter: w }, { ...geo, groups: 3 })).toThrow(
        /EvdmGroupedConv2D: groups \(3\) must divide the input channels \(8\).*x \[1,5,6,8\]/,
      );
      expect(() => run({ x, filter: tf.zeros([3, 3, 3, 6]) }, geo)).toThrow(
        /filter input channels \(3\) times groups \(2\) must equal the input channels \(8\)/,
      );
      expect(() => run({ x: tf.zeros([0, 5, 6, 8]), filter: w }, geo)).toThrow(
        /EvdmGroupedConv2D: empty tensor or output \(x \[0,5,6,8\]/,
      );
      expect(() => run({ x, filter: w, bias: tf.zeros([5]) }, geo)).toThrow(
        /EvdmGroupedConv2D: bias must have shape \[6\], got \[5\]/,
      );
      expect(() =>
        run({ dy: tf.zeros([1, 3, 3, 6]), filter: w }, { ...geo, inputShape: [1, 5, 6, 8] }, 'EvdmGroupedConv2DBackpropInput'),
      ).toThrow(/EvdmGroupedConv2DBackpropInput: dy must have shape \[1,3,6,6\], got \[1,3,3,6\]/);
      expect(() =>
        run({ x, dy: tf.zeros([1, 3, 6, 6], 'int32') }, { ...geo, filterShape: [3, 3, 4, 6] }, 'EvdmGroupedConv2DBackpropFilter'),
      ).toThrow(/EvdmGroupedConv2DBackpropFilter: input 'dy' must be a float32 tensor, got int32 \[1,3,6,6\]/);
      // the layer ops keep their own validation, and take empty tensors through the composed path
      expect(() => groupedConv1x1(x, k1, b8, 3)).toThrow(/groupedConv1x1: groups \(3\) must divide the 8 input channels/);
      expect(firDownsample(tf.zeros([0, 4, 4, 3]) as tf.Tensor4D).shape).toEqual([0, 2, 2, 3]);
      expect(groupedConv1x1(tf.zeros([0, 2, 2, 8]) as tf.Tensor4D, k1, b8, 4).shape).toEqual([0, 2, 2, 8]);
    } finally {
      unregisterNativeKernels();
    }
  });
});
