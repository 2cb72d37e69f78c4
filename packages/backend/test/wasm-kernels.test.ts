import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, leakedTensors, relL2 } from '../../../test-utils/tf';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelsActive,
} from '../src/wasm-kernels/register';
import { gradsOf, runOn, type Spec } from './compare';

const TOL = 1e-4;

/** Runs fn on cpu and on wasm (with our kernels) and returns the worst relative L2 error. */
async function wasmVsCpu(inputs: Spec[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<number> {
  const ref = await runOn('cpu', inputs, fn);
  const got = await runOn('wasm', inputs, fn);
  expect(got.length).toBe(ref.length);
  return Math.max(...got.map((g, i) => relL2(g, ref[i])));
}

type Pad = 'same' | 'valid';
interface ConvCase {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
}
const convCases: ConvCase[] = [
  { b: 2, h: 7, w: 9, ci: 3, co: 5, k: 3, s: 1, pad: 'same' },
  { b: 3, h: 9, w: 7, ci: 6, co: 10, k: 3, s: 2, pad: 'same' },
  { b: 2, h: 8, w: 6, ci: 5, co: 7, k: 3, s: 2, pad: 'valid' },
  { b: 2, h: 7, w: 7, ci: 11, co: 3, k: 3, s: 1, pad: 'valid' },
  { b: 2, h: 5, w: 6, ci: 13, co: 9, k: 1, s: 1, pad: 'same' },
  { b: 3, h: 7, w: 5, ci: 4, co: 6, k: 1, s: 2, pad: 'valid' },
  { b: 1, h: 10, w: 11, ci: 12, co: 20, k: 5, s: 2, pad: 'same' },
  { b: 2, h: 10, w: 9, ci: 3, co: 4, k: 2, s: 3, pad: 'same' },
  { b: 2, h: 9, w: 10, ci: 5, co: 3, k: 4, s: 2, pad: 'valid' },
  { b: 2, h: 11, w: 8, ci: 4, co: 6, k: 3, s: 3, pad: 'valid' },
];
const label = (c: ConvCase) => `${c.k}x${c.k} s${c.s} ${c.pad} x[${c.b},${c.h},${c.w},${c.ci}] co=${c.co}`;
const outSize = (n: number, c: ConvCase) => (c.pad === 'same' ? Math.ceil(n / c.s) : Math.ceil((n - c.k + 1) / c.s));

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
});
afterAll(() => {
  unregisterWasmTrainingKernels();
});

describe('registration', () => {
  it('is idempotent and restorable', () => {
    const names = registerWasmTrainingKernels();
    expect(names.sort()).toEqual(
      [
        'BatchMatMul',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'Slice',
        'SplitV',
        'Unpack',
        '_FusedMatMul',
      ].sort(),
    );
    expect(registerWasmTrainingKernels().sort()).toEqual(names.sort());
    expect(wasmTrainingKernelsActive()).toBe(true);
    unregisterWasmTrainingKernels();
    expect(wasmTrainingKernelsActive()).toBe(false);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    registerWasmTrainingKernels();
    expect(wasmTrainingKernelsActive()).toBe(true);
  });
});

describe('Conv2DBackpropFilter / Conv2DBackpropInput kernels, wasm vs cpu', () => {
  for (const c of convCases) {
    it(`backprop filter ${label(c)}`, async () => {
      const oh = outSize(c.h, c),
        ow = outSize(c.w, c);
      const err = await wasmVsCpu(
        [
          { shape: [c.b, c.h, c.w, c.ci], seed: 1 },
          { shape: [c.b, oh, ow, c.co], seed: 2 },
        ],
        (x, dy) =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
            strides: c.s,
            pad: c.pad,
            dataFormat: 'NHWC',
            filterShape: [c.k, c.k, c.ci, c.co],
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      expect(err).toBeLessThan(TOL);
    });
    it(`backprop input ${label(c)}`, async () => {
      const oh = outSize(c.h, c),
        ow = outSize(c.w, c);
      const err = await wasmVsCpu(
        [
          { shape: [c.b, oh, ow, c.co], seed: 3 },
          { shape: [c.k, c.k, c.ci, c.co], seed: 4 },
        ],
        (dy, f) => tf.conv2dTranspose(dy as tf.Tensor4D, f as tf.Tensor4D, [c.b, c.h, c.w, c.ci], c.s, c.pad),
      );
      expect(err).toBeLessThan(TOL);
    });
    it(`conv2d gradients ${label(c)}`, async () => {
      const err = await wasmVsCpu(
        [
          { shape: [c.b, c.h, c.w, c.ci], seed: 5 },
          { shape: [c.k, c.k, c.ci, c.co], seed: 6 },
        ],
        gradsOf((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad)),
      );
      expect(err).toBeLessThan(TOL);
    });
  }

  it('explicit padding, backprop filter and input', async () => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ];
    const err = await wasmVsCpu(
      [
        { shape: [2, 6, 5, 3], seed: 7 },
        { shape: [3, 3, 3, 4], seed: 8 },
      ],
      gradsOf((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, pad)),
    );
    expect(err).toBeLessThan(TOL);
  });

  it('asymmetric strides [2, 1] and [1, 3] with explicit padding', async () => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ];
    const err1 = await wasmVsCpu(
      [
        { shape: [2, 9, 7, 4], seed: 14 },
        { shape: [3, 3, 4, 5], seed: 15 },
      ],
      gradsOf((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [2, 1], pad)),
    );
    const err2 = await wasmVsCpu(
      [
        { shape: [2, 6, 10, 3], seed: 16 },
        { shape: [2, 3, 3, 4], seed: 17 },
      ],
      gradsOf((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [1, 3], 'same')),
    );
    expect(Math.max(err1, err2)).toBeLessThan(TOL);
  });

  it('conv2dTranspose gradients (stride 2, the upsampling path)', async () => {
    const err = await wasmVsCpu(
      [
        { shape: [2, 4, 5, 6], seed: 9 },
        { shape: [3, 3, 5, 6], seed: 10 },
      ],
      gradsOf((x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 8, 10, 5], 2, 'same')),
    );
    expect(err).toBeLessThan(TOL);
  });

  it('fused conv2d and fused depthwise forward with bias, batch 3 (stock forward kernels)', async () => {
    const err = await wasmVsCpu(
      [
        { shape: [3, 7, 6, 5], seed: 71 },
        { shape: [3, 3, 5, 9], seed: 72 },
        { shape: [9], seed: 73 },
        { shape: [3, 3, 5, 2], seed: 74 },
        { shape: [10], seed: 75 },
      ],
      (x, f, b, fd, bd) => [
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, bias: b, strides: 1, pad: 'same', activation: 'relu' }),
        tf.fused.depthwiseConv2d({
          x: x as tf.Tensor4D,
          filter: fd as tf.Tensor4D,
          bias: bd,
          strides: 1,
          pad: 'same',
          activation: 'linear',
        }),
      ],
    );
    expect(err).toBeLessThan(TOL);
  });

  it('fused conv2d (bias + relu) gradients', async () => {
    const err = await wasmVsCpu(
      [
        { shape: [2, 7, 6, 5], seed: 11 },
        { shape: [3, 3, 5, 9], seed: 12 },
        { shape: [9], seed: 13 },
      ],
      gradsOf((x, f, b) =>
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, bias: b, strides: 1, pad: 'same', activation: 'relu' }),
      ),
    );
    expect(err).toBeLessThan(TOL);
  });

  it('matches central finite differences on wasm', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 1);
    const f = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
    const worst = gradCheck((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), [x, f], { eps: 1e-2, probes: 8 });
    tf.dispose([x, f]);
    expect(worst).toBeLessThan(1e-2);
  });

  it('rejects NCHW with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 4, 4, 2]);
    const dy = tf.ones([1, 4, 4, 3]);
    expect(() =>
      tf
        .engine()
        .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] }),
    ).toThrow(/NCHW/);
    tf.dispose([x, dy]);
  });
});

describe('depthwise backprop kernels, wasm vs cpu', () => {
  const cases = [
    { b: 2, h: 7, w: 6, c: 5, m: 1, k: 3, s: 1, pad: 'same' as Pad },
    { b: 2, h: 9, w: 8, c: 3, m: 2, k: 3, s: 2, pad: 'same' as Pad },
    { b: 3, h: 8, w: 7, c: 4, m: 3, k: 3, s: 2, pad: 'valid' as Pad },
    { b: 2, h: 6, w: 5, c: 7, m: 1, k: 1, s: 1, pad: 'valid' as Pad },
  ];
  for (const c of cases) {
    it(`depthwise gradients ${c.k}x${c.k} s${c.s} ${c.pad} c=${c.c} m=${c.m}`, async () => {
      const err = await wasmVsCpu(
        [
          { shape: [c.b, c.h, c.w, c.c], seed: 21 },
          { shape: [c.k, c.k, c.c, c.m], seed: 22 },
        ],
        gradsOf((x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad)),
      );
      expect(err).toBeLessThan(TOL);
    });
  }
  it('fused depthwise conv2d (bias + relu) gradients', async () => {
    const err = await wasmVsCpu(
      [
        { shape: [2, 9, 7, 6], seed: 26 },
        { shape: [3, 3, 6, 2], seed: 27 },
        { shape: [12], seed: 28 },
      ],
      gradsOf((x, f, b) =>
        tf.fused.depthwiseConv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          bias: b,
          strides: 2,
          pad: 'same',
          activation: 'relu',
        }),
      ),
    );
    expect(err).toBeLessThan(TOL);
  });
  // tfjs's depthwise gradient (and cpu's backprop kernels) ignore dilations > 1, but our kernels
  // support them: check the adjoint identities <conv(x,f), dy> = <x, dX(dy,f)> = <f, dF(x,dy)>
  // against the stock (dilation-aware) forward depthwise conv.
  it('depthwise backprop kernels with dilation 2 satisfy the adjoint identities', async () => {
    await tf.setBackend('wasm');
    const attrs = { strides: 1, dilations: 2, pad: 'same' };
    const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 23) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 24) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 9, 8, 6], 0, 1, 'float32', 25) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, f, 1, 'same', 'NHWC', 2);
    const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, {
      ...attrs,
      inputShape: x.shape,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const df = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
      ...attrs,
      filterShape: f.shape,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const lhs = tf.sum(tf.mul(y, dy)).dataSync()[0];
    const viaX = tf.sum(tf.mul(x, dx)).dataSync()[0];
    const viaF = tf.sum(tf.mul(f, df)).dataSync()[0];
    tf.dispose([x, f, dy, y, dx, df]);
    expect(Math.abs(viaX - lhs) / Math.abs(lhs)).toBeLessThan(TOL);
    expect(Math.abs(viaF - lhs) / Math.abs(lhs)).toBeLessThan(TOL);
  });
});

describe('BatchMatMul with transposes, wasm vs cpu', () => {
  // Small matrices take the stock path, larger ones the per-batch XNNPACK path: test both.
  const sizes = [
    [3, 5, 7, 6],
    [3, 17, 19, 23],
  ];
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const)
    for (const [bt, m, k, n] of sizes) {
      it(`matMul [${bt}] ${m}x${k}x${n} transposeA=${ta} transposeB=${tb}, forward and gradients`, async () => {
        const aShape = ta ? [bt, k, m] : [bt, m, k];
        const bShape = tb ? [bt, n, k] : [bt, k, n];
        const fwd = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb);
        const inputs = [
          { shape: aShape, seed: 31 },
          { shape: bShape, seed: 32 },
        ];
        expect(await wasmVsCpu(inputs, fwd)).toBeLessThan(TOL);
        expect(await wasmVsCpu(inputs, gradsOf(fwd))).toBeLessThan(TOL);
      });
    }
  it('rank-4 attention-style products (q k^T, softmax, times v)', async () => {
    const fwd = (q: tf.Tensor, kk: tf.Tensor, v: tf.Tensor) =>
      tf.matMul(tf.softmax(tf.matMul(q as tf.Tensor4D, kk as tf.Tensor4D, false, true)), v as tf.Tensor4D);
    const err = await wasmVsCpu(
      [
        { shape: [2, 3, 20, 16], seed: 33 },
        { shape: [2, 3, 24, 16], seed: 34 },
        { shape: [2, 3, 24, 18], seed: 38 },
      ],
      gradsOf(fwd),
    );
    expect(err).toBeLessThan(TOL);
  });
  // Forward only: tfjs's own BatchMatMul gradient does not reduce broadcast batch dimensions.
  it('batch broadcasting forward: [4,M,K] x [K,N], [1,M,K] x [4,K,N], [4,M,K]^T x [1,N,K]^T', async () => {
    const err1 = await wasmVsCpu(
      [
        { shape: [4, 20, 30], seed: 51 },
        { shape: [30, 25], seed: 52 },
      ],
      (a, b) => tf.matMul(a, b),
    );
    const err2 = await wasmVsCpu(
      [
        { shape: [1, 20, 30], seed: 53 },
        { shape: [4, 30, 25], seed: 54 },
      ],
      (a, b) => tf.matMul(a, b),
    );
    const err3 = await wasmVsCpu(
      [
        { shape: [4, 30, 20], seed: 55 },
        { shape: [1, 25, 30], seed: 56 },
      ],
      (a, b) => tf.matMul(a, b, true, true),
    );
    // Tiny sizes take the stock path.
    const err4 = await wasmVsCpu(
      [
        { shape: [4, 3, 5], seed: 57 },
        { shape: [1, 5, 2], seed: 58 },
      ],
      (a, b) => tf.matMul(a, b),
    );
    const err5 = await wasmVsCpu(
      [
        { shape: [1, 3, 5], seed: 59 },
        { shape: [4, 2, 5], seed: 60 },
      ],
      (a, b) => tf.matMul(a, b, false, true),
    );
    expect(Math.max(err4, err5)).toBeLessThan(TOL);
    expect(err3).toBeLessThan(TOL);
    expect(Math.max(err1, err2)).toBeLessThan(TOL);
  });
  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
    it(`fused matMul forward, batch 3, transposeB, bias, ${activation} (per-batch path)`, async () => {
      const err = await wasmVsCpu(
        [
          { shape: [3, 20, 30], seed: 61 },
          { shape: [3, 25, 30], seed: 62 },
          { shape: [25], seed: 63 },
          { shape: [25], seed: 64 },
        ],
        (a, b, bias, alpha) =>
          tf.fused.matMul({
            a: a as tf.Tensor3D,
            b: b as tf.Tensor3D,
            bias,
            activation,
            transposeB: true,
            preluActivationWeights: activation === 'prelu' ? alpha : undefined,
            leakyreluAlpha: activation === 'leakyrelu' ? 0.15 : undefined,
          }),
      );
      expect(err).toBeLessThan(TOL);
    });
  }
  // Stock wasm gets this wrong (bias misapplied for batch > 1); small sizes used to take that path.
  for (const [ta, tb] of [
    [false, false],
    [true, true],
  ] as const) {
    it(`fused matMul forward, batch 3, tiny 5x7x6, bias, transposeA=${ta} transposeB=${tb}`, async () => {
      const err = await wasmVsCpu(
        [
          { shape: ta ? [3, 7, 5] : [3, 5, 7], seed: 68 },
          { shape: tb ? [3, 6, 7] : [3, 7, 6], seed: 69 },
          { shape: [6], seed: 70 },
        ],
        (a, b, bias) =>
          tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias, activation: 'relu', transposeA: ta, transposeB: tb }),
      );
      expect(err).toBeLessThan(TOL);
    });
  }
  it('fused matMul gradients, batch 3, transposeA, bias + relu (per-batch path)', async () => {
    const fwd = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
      tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias, activation: 'relu', transposeA: true });
    const err = await wasmVsCpu(
      [
        { shape: [3, 30, 20], seed: 65 },
        { shape: [3, 30, 25], seed: 66 },
        { shape: [25], seed: 67 },
      ],
      gradsOf(fwd),
    );
    expect(err).toBeLessThan(TOL);
  });
  it('fused matMul (bias + relu) gradients', async () => {
    const fwd = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu', transposeB: true });
    const err = await wasmVsCpu(
      [
        { shape: [6, 10], seed: 35 },
        { shape: [7, 10], seed: 36 },
        { shape: [7], seed: 37 },
      ],
      gradsOf(fwd),
    );
    expect(err).toBeLessThan(TOL);
  });
});

describe('whole small conv net', () => {
  it('full gradient of a conv/GroupNorm-ish/SiLU/attention net matches cpu', async () => {
    const net = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor, wd: tf.Tensor) => {
      const silu = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));
      let h = silu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
      const mean = tf.mean(h, [1, 2, 3], true);
      // (tfjs's SquaredDifference gradient does not reduce broadcast inputs; square(sub) does.)
      const variance = tf.mean(tf.square(tf.sub(h, mean)), [1, 2, 3], true);
      h = tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5)));
      h = silu(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same'));
      h = tf.depthwiseConv2d(h as tf.Tensor4D, wd as tf.Tensor4D, 1, 'same');
      const [b, hh, ww, c] = h.shape;
      const seq = tf.reshape(h, [b, hh * ww, c]);
      const att = tf.softmax(tf.div(tf.matMul(seq, seq, false, true), Math.sqrt(c)));
      const mixed = tf.reshape(tf.matMul(att, seq), [b, hh, ww, c]);
      const up = tf.conv2dTranspose(mixed as tf.Tensor4D, w3 as tf.Tensor4D, [b, hh * 2, ww * 2, 3], 2, 'same');
      return up;
    };
    const err = await wasmVsCpu(
      [
        { shape: [2, 8, 8, 3], seed: 41 },
        { shape: [3, 3, 3, 6], seed: 42 },
        { shape: [3, 3, 6, 10], seed: 43 },
        { shape: [3, 3, 3, 10], seed: 44 },
        { shape: [3, 3, 10, 1], seed: 45 },
      ],
      gradsOf(net),
    );
    expect(err).toBeLessThan(TOL);
  });
});

describe('no leaks', () => {
  it('repeated training-style gradients keep the tensor count flat', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 7, 7, 5], 0, 1, 'float32', 3);
    const f = tf.randomNormal([3, 3, 5, 6], 0, 1, 'float32', 4);
    const d = tf.randomNormal([3, 3, 6, 2], 0, 1, 'float32', 5);
    const step = () => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
        const e = tf.depthwiseConv2d(h, c as tf.Tensor4D, 1, 'valid');
        const s = tf.reshape(e, [2, -1, 12]);
        const big = tf.matMul(tf.tile(s, [1, 8, 8]), tf.tile(s, [1, 8, 8]), false, true);
        return tf.add(tf.sum(tf.matMul(s, s, true, false)), tf.mean(big));
      })([x, f, d]);
      tf.dispose(g);
    };
    expect(leakedTensors(step, 4)).toBe(0);
    const before = tf.memory().numBytes;
    for (let i = 0; i < 4; i++) step();
    expect(tf.memory().numBytes).toBe(before);
    // Aliases and temporary filters must also release their C++ side (ids, cached XNNPACK
    // operators): the wasm heap must not keep growing.
    const wasm = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array }; numDataIds(): number };
    const heap = wasm.wasm.HEAPU8.length;
    const ids = wasm.numDataIds();
    for (let i = 0; i < 60; i++) step();
    expect(wasm.wasm.HEAPU8.length).toBe(heap);
    expect(wasm.numDataIds()).toBe(ids);
    tf.dispose([x, f, d]);
  });
});

describe('Slice kernel (any rank), wasm vs cpu', () => {
  const cases: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
    { shape: [4, 6, 2, 5, 3], begin: [0, 0, 1, 0, 0], size: [4, 6, 1, 5, 3] }, // FIR's interleave slice
    { shape: [3, 5, 4, 7, 2], begin: [1, 2, 0, 3, 1], size: [2, 3, 4, 4, 1] }, // every axis cut, run of 1
    { shape: [2, 3, 4, 5, 6, 7], begin: [0, 1, 1, 0, 2, 0], size: [2, 2, 3, 5, 4, 7] }, // rank 6
    { shape: [5, 9, 11, 40], begin: [1, 2, 3, 4], size: [3, -1, 5, 33] }, // size -1, long runs
    { shape: [7, 64], begin: [2, 10], size: [4, 40] },
    { shape: [2, 3, 4, 5, 6], begin: [1, 0, 0, 0, 0], size: [1, 3, 4, 5, 6] }, // contiguous: stock path
  ];
  for (const c of cases) {
    it(`x[${c.shape}] begin [${c.begin}] size [${c.size}] (float32 and int32, exact)`, async () => {
      for (const dtype of ['float32', 'int32'] as const) {
        const n = c.shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i : i * 0.5 - 3));
        const results: number[][] = [];
        for (const backend of ['cpu', 'wasm']) {
          await tf.setBackend(backend);
          const x = tf.tensor(values, c.shape, dtype);
          const y = tf.slice(x, c.begin, c.size);
          results.push(Array.from(y.dataSync()));
          tf.dispose([x, y]);
        }
        expect(results[1]).toEqual(results[0]);
      }
    });
  }
  it('zero-size slices and gradients', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([2, 3, 4, 5, 6]);
    const empty = tf.slice(x, [0, 0, 0, 0, 0], [2, 0, 4, 5, 6]);
    expect(empty.shape).toEqual([2, 0, 4, 5, 6]);
    tf.dispose([x, empty]);
    const err = await wasmVsCpu(
      [{ shape: [3, 4, 2, 5, 3], seed: 31 }],
      gradsOf((x) => tf.mul(tf.slice(x, [1, 0, 1, 2, 0], [2, 4, 1, 3, 3]), tf.slice(x, [0, 0, 0, 0, 0], [2, 4, 1, 3, 3]))),
    );
    expect(err).toBeLessThan(TOL);
  });
  it('leaks nothing', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([2, 3, 4, 5, 6]);
    const n = leakedTensors(() => tf.slice(x, [0, 1, 0, 1, 0], [2, 2, 4, 3, 6]).dispose());
    x.dispose();
    expect(n).toBe(0);
  });
});

describe('Unpack and SplitV kernels, wasm vs cpu', () => {
  it('unstack along every axis of a rank-5 tensor, with gradients (the FIR path)', async () => {
    for (let axis = 0; axis < 5; axis++) {
      const err = await wasmVsCpu([{ shape: [2, 3, 2, 4, 3], seed: 40 + axis }], (x) => tf.unstack(x, axis));
      expect(err).toBe(0);
    }
    const err = await wasmVsCpu(
      [{ shape: [3, 4, 2, 5, 2], seed: 46 }],
      gradsOf((x) => {
        const [a, b] = tf.unstack(x, 2);
        return tf.mul(a, tf.sin(b));
      }),
    );
    expect(err).toBeLessThan(TOL);
  });
  it('split into unequal and equal pieces along inner and outer axes, with gradients (the concat path)', async () => {
    for (const [shape, sizes, axis] of [
      [[2, 5, 4, 12], [3, 3, 6], 3],
      [[3, 7, 4, 5, 2], [2, -1, 4], 1],
      [[4, 6], 2, 0],
    ] as const) {
      const err = await wasmVsCpu([{ shape: [...shape], seed: 50 }], (x) => tf.split(x, sizes as number | number[], axis));
      expect(err).toBe(0);
    }
    const err = await wasmVsCpu(
      [
        { shape: [2, 5, 3, 8], seed: 51 },
        { shape: [2, 5, 3, 4], seed: 52 },
      ],
      gradsOf((a, b) => tf.square(tf.concat([a, b, a], 3))),
    );
    expect(err).toBeLessThan(TOL);
  });
});
