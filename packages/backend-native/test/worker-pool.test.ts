// The native worker pool (native/pool.h) and the kernels it cuts into bands: forward convolutions
// (bands of output rows for one image, of images for a batch), grouped convolutions, and matmuls
// (bands of A's rows, or of B's columns for a thin A), against the pure TF.js kernels. helpers.ts
// lowers the pool's bounds so these modest shapes split.
import * as tf from '@tensorflow/tfjs-core';
import { nativeGroupedConv2d } from '@evdm/layers-brp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POOL_BYTES, DEFAULT_POOL_FLOPS, nativeWorkerPoolStats, poolBounds, poolWorkers } from '../src/index';
import { available, nativeVsReference, requireAddon, status, TOL } from './helpers';

requireAddon();

// the pool has a worker when the addon runs more than one thread (CI machines have two cores)
const pooled = status.ok && status.threads > 1;

/** Runs `body` and returns how many jobs the pool ran split meanwhile. */
async function jobsDuring(body: () => Promise<void>): Promise<number> {
  const before = nativeWorkerPoolStats().jobs;
  await body();
  return nativeWorkerPoolStats().jobs - before;
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const explicit = (top: number, bottom: number, left: number, right: number): Pad => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];
// one image: bands of output rows, including bands of one row (OH 2, 3), strides 2 and 3 whose bands
// start mid-stride, asymmetric explicit padding (a band touching only one edge), dilation, 5x3 and 4x4
// kernels; then batches (bands of images, one image in the last band)
const convCases: Array<{ x: number[]; k: number[]; s: number; pad: Pad; d?: number; act?: 'relu' | 'sigmoid' }> = [
  { x: [1, 12, 9, 5], k: [3, 3, 5, 7], s: 1, pad: 'same' },
  { x: [1, 2, 7, 6], k: [3, 3, 6, 4], s: 1, pad: 'same' },
  { x: [1, 4, 5, 8], k: [3, 3, 8, 3], s: 1, pad: 'valid' },
  { x: [1, 13, 8, 4], k: [3, 3, 4, 6], s: 2, pad: 'same', act: 'relu' },
  { x: [1, 17, 6, 3], k: [4, 4, 3, 5], s: 3, pad: 'valid' },
  { x: [1, 11, 7, 4], k: [5, 3, 4, 6], s: 2, pad: explicit(3, 0, 1, 2) },
  { x: [1, 10, 9, 3], k: [3, 3, 3, 5], s: 1, pad: explicit(0, 2, 1, 1), act: 'sigmoid' },
  { x: [1, 15, 8, 4], k: [3, 3, 4, 6], s: 1, pad: 'same', d: 2 },
  { x: [1, 16, 16, 12], k: [1, 1, 12, 24], s: 1, pad: 'same' },
  { x: [3, 9, 7, 5], k: [3, 3, 5, 6], s: 1, pad: 'same' },
  { x: [5, 8, 8, 4], k: [3, 3, 4, 4], s: 2, pad: 'valid' },
];

describe.skipIf(!available)('native worker pool: banded kernels vs pure TF.js', () => {
  for (const c of convCases) {
    const pad = typeof c.pad === 'string' ? c.pad : 'explicit';
    it(`conv x[${c.x}] filter[${c.k}] stride ${c.s} ${pad}${c.d ? ` dilation ${c.d}` : ''}${c.act ? ` ${c.act}` : ''}`, async () => {
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          bias: b,
          strides: c.d ? 1 : c.s,
          pad: c.pad,
          dilations: c.d ?? 1,
          activation: c.act ?? 'linear',
        });
      for (const host of ['cpu', 'wasm'] as const) {
        const jobs = await jobsDuring(async () => {
          expect(await nativeVsReference(host, [c.x, c.k, [c.k[3]]], f), host).toBeLessThan(TOL);
        });
        if (pooled) expect(jobs, `${host}: the pool ran the bands`).toBeGreaterThan(0);
      }
    });
  }

  // rows of A (transposed or not), then columns of B for a thin A (transposed or not)
  const mmCases: Array<{ m: number; k: number; n: number; ta: boolean; tb: boolean }> = [
    { m: 37, k: 19, n: 23, ta: false, tb: false },
    { m: 41, k: 13, n: 17, ta: true, tb: false },
    { m: 33, k: 9, n: 29, ta: true, tb: true },
    { m: 1, k: 24, n: 1500, ta: false, tb: false },
    { m: 3, k: 16, n: 1031, ta: false, tb: true },
    { m: 2, k: 20, n: 1200, ta: true, tb: true },
  ];
  for (const c of mmCases) {
    it(`matmul [${c.m}x${c.k}]${c.ta ? 'ᵀ' : ''} x [${c.k}x${c.n}]${c.tb ? 'ᵀ' : ''} with bias and relu`, async () => {
      const a = c.ta ? [1, c.k, c.m] : [1, c.m, c.k];
      const b = c.tb ? [1, c.n, c.k] : [1, c.k, c.n];
      const f = (x: tf.Tensor, y: tf.Tensor, bias: tf.Tensor) =>
        tf.fused.matMul({ a: x, b: y, bias, transposeA: c.ta, transposeB: c.tb, activation: 'relu' });
      const jobs = await jobsDuring(async () => {
        expect(await nativeVsReference('cpu', [a, b, [c.n]], f)).toBeLessThan(TOL);
      });
      if (pooled) expect(jobs, 'the pool ran the bands').toBeGreaterThan(0);
    });
  }

  // the shortcut's 4-group 1x1 conv and a depthwise stride-2 FIR-like conv, one image and a batch
  const grouped: Array<{ x: number[]; k: number[]; g: number; s: [number, number]; pad: [number, number, number, number] }> = [
    { x: [1, 12, 10, 16], k: [1, 1, 4, 8], g: 4, s: [1, 1], pad: [0, 0, 0, 0] },
    { x: [1, 13, 9, 6], k: [4, 4, 1, 6], g: 6, s: [2, 2], pad: [1, 2, 1, 2] },
    { x: [3, 7, 9, 12], k: [3, 3, 3, 8], g: 4, s: [1, 1], pad: [1, 1, 1, 1] },
  ];
  for (const c of grouped) {
    it(`grouped conv x[${c.x}] filter[${c.k}] groups ${c.g} strides ${c.s} pad ${c.pad}`, async () => {
      const geo = { strides: c.s, pad: c.pad, groups: c.g };
      // reference: one tf.conv2d per group on its channels, concatenated
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
        if (tf.getKernel('EvdmGroupedConv2D', tf.getBackend()))
          return nativeGroupedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, geo);
        const xs = tf.split(x, c.g, 3),
          ws = tf.split(w, c.g, 3);
        const pad = explicit(...c.pad) as Exclude<Pad, string>;
        const ys = xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, c.s, pad));
        return tf.add(tf.concat(ys, 3), b);
      };
      const jobs = await jobsDuring(async () => {
        expect(await nativeVsReference('cpu', [c.x, c.k, [c.k[3]]], f)).toBeLessThan(TOL);
      });
      if (pooled) expect(jobs, 'the pool ran the bands').toBeGreaterThan(0);
    });
  }

  it('the same inputs give bit-identical outputs run after run (bands are fixed by the shape, not the load)', async () => {
    const x = tf.randomNormal([1, 20, 11, 6], 0, 1, 'float32', 3),
      w = tf.randomNormal([3, 3, 6, 9], 0, 1, 'float32', 4);
    const once = () =>
      tf.tidy(() =>
        tf
          .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')
          .dataSync()
          .slice(),
      );
    const first = once();
    for (let i = 0; i < 20; i++) expect(once()).toEqual(first);
    tf.dispose([x, w]);
  });
});

describe('worker pool settings', () => {
  it('EVDM_NATIVE_POOL: 0 turns the pool off, 1 or unset gives one worker per extra thread', () => {
    expect(poolWorkers(2, {})).toBe(1);
    expect(poolWorkers(4, { EVDM_NATIVE_POOL: '1' })).toBe(3);
    expect(poolWorkers(1, {})).toBe(0);
    expect(poolWorkers(2, { EVDM_NATIVE_POOL: '0' })).toBe(0);
    expect(() => poolWorkers(2, { EVDM_NATIVE_POOL: 'yes' })).toThrow(
      /EVDM_NATIVE_POOL must be 0 \(off\) or 1 \(on\), got 'yes'/,
    );
  });
  it('EVDM_NATIVE_POOL_BYTES / _FLOPS: defaults, values, and bad values named', () => {
    expect(poolBounds({})).toEqual({ bytes: DEFAULT_POOL_BYTES, flops: DEFAULT_POOL_FLOPS });
    expect(poolBounds({ EVDM_NATIVE_POOL_BYTES: '1024', EVDM_NATIVE_POOL_FLOPS: '0' })).toEqual({ bytes: 1024, flops: 0 });
    expect(() => poolBounds({ EVDM_NATIVE_POOL_BYTES: '-1' })).toThrow(
      /EVDM_NATIVE_POOL_BYTES must be a non-negative number, got '-1'/,
    );
    expect(() => poolBounds({ EVDM_NATIVE_POOL_FLOPS: 'lots' })).toThrow(/EVDM_NATIVE_POOL_FLOPS/);
  });
});
