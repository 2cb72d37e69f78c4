import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SPLIT_BYTES,
  SPIN_SPLIT_BYTES,
  DEFAULT_SPLIT_FLOPS,
  SPIN_SPLIT_FLOPS,
  splitFlops,
  loadNative,
  nativeKernelsActive,
  NATIVE_KERNEL_NAMES,
  registerNativeKernels,
  splitBytes,
  threadCount,
  unregisterNativeKernels,
} from '../src/index';
import { available, randomData, requireAddon, runOn } from './helpers';

requireAddon();

describe('loader', () => {
  it('EVDM_NATIVE_THREADS sets the thread count, default = available parallelism; bad values are clear errors', () => {
    expect(threadCount({ EVDM_NATIVE_THREADS: '3' })).toBe(3);
    expect(threadCount({})).toBeGreaterThanOrEqual(1);
    expect(() => threadCount({ EVDM_NATIVE_THREADS: 'two' })).toThrow(/EVDM_NATIVE_THREADS must be a positive integer/);
  });
  it('EVDM_NATIVE_SPLIT_BYTES sets where memory-bound passes split; bad values are clear errors', () => {
    expect(splitBytes({ EVDM_NATIVE_SPLIT_BYTES: '1e6' })).toBe(1e6);
    expect(splitBytes({ EVDM_NATIVE_SPLIT_BYTES: '0' })).toBe(0);
    expect(splitBytes({})).toBe(DEFAULT_SPLIT_BYTES);
    // spinning OpenMP workers (opt-in) make splitting small kernels pay: lower bounds
    expect(splitBytes({ EVDM_NATIVE_SPIN: '1' })).toBe(SPIN_SPLIT_BYTES);
    expect(splitBytes({ OMP_WAIT_POLICY: 'active' })).toBe(SPIN_SPLIT_BYTES);
    expect(splitBytes({ OMP_WAIT_POLICY: 'PASSIVE', EVDM_NATIVE_SPIN: '1' })).toBe(DEFAULT_SPLIT_BYTES);
    expect(splitBytes({ EVDM_NATIVE_SPIN: '1', EVDM_NATIVE_SPLIT_BYTES: '2048' })).toBe(2048);
    expect(splitFlops({})).toBe(DEFAULT_SPLIT_FLOPS);
    expect(splitFlops({ EVDM_NATIVE_SPIN: '1' })).toBe(SPIN_SPLIT_FLOPS);
    expect(splitFlops({ OMP_WAIT_POLICY: 'passive' })).toBe(DEFAULT_SPLIT_FLOPS);
    expect(SPIN_SPLIT_BYTES).toBeLessThan(DEFAULT_SPLIT_BYTES);
    expect(() => splitBytes({ EVDM_NATIVE_SPLIT_BYTES: '-1' })).toThrow(/EVDM_NATIVE_SPLIT_BYTES must be a non-negative number/);
    expect(() => splitBytes({ EVDM_NATIVE_SPLIT_BYTES: 'big' })).toThrow(/got 'big'/);
  });
  it('EVDM_NATIVE=0 disables loading with a reason', () => {
    const prev = process.env.EVDM_NATIVE;
    process.env.EVDM_NATIVE = '0';
    try {
      expect(loadNative()).toEqual({ ok: false, reason: 'disabled (EVDM_NATIVE=0)' });
    } finally {
      if (prev === undefined) delete process.env.EVDM_NATIVE;
      else process.env.EVDM_NATIVE = prev;
    }
  });
});

describe.skipIf(!available)('registration', () => {
  it('replaces the wasm training kernels and restores exactly them on unregister', async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    const before = NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc);
    const names = registerNativeKernels('wasm');
    expect(names.sort()).toEqual([...NATIVE_KERNEL_NAMES].sort());
    expect(nativeKernelsActive('wasm')).toBe(true);
    expect(registerNativeKernels('wasm').length).toBe(names.length); // idempotent
    unregisterNativeKernels();
    expect(nativeKernelsActive('wasm')).toBe(false);
    expect(NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc)).toEqual(before);
  });
  it('reports the oneDNN version and thread count', () => {
    const s = loadNative();
    expect(s.ok).toBe(true);
    if (s.ok) {
      expect(s.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(s.threads).toBeGreaterThanOrEqual(1);
    }
  });
  for (const host of ['cpu', 'wasm'] as const) {
    it(`${host}: a conv + matmul training pass leaks no tensors`, async () => {
      await tf.setBackend(host);
      if (host === 'wasm') registerWasmTrainingKernels();
      registerNativeKernels(host);
      try {
        const x = tf.tensor(randomData([2, 8, 8, 4], 1), [2, 8, 8, 4]);
        const w = tf.tensor(randomData([3, 3, 4, 6], 2), [3, 3, 4, 6]);
        const m = tf.tensor(randomData([6, 5], 3), [6, 5]);
        const step = () =>
          tf.dispose(
            tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
              tf.sum(tf.matMul(tf.reshape(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), [-1, 6]), c)),
            )([x, w, m]),
          );
        step();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) step();
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([x, w, m]);
      } finally {
        unregisterNativeKernels();
      }
    });
  }
  it('a raw addon call with inconsistent sizes is a clear error, not a crash', async () => {
    const { nativeAddon } = await import('../src/addon');
    expect(() =>
      nativeAddon().conv(
        0,
        new Float32Array(4),
        new Float32Array(1),
        null,
        new Float32Array(4),
        [1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0],
      ),
    ).not.toThrow();
    expect(() =>
      nativeAddon().conv(
        0,
        new Float32Array(3),
        new Float32Array(1),
        null,
        new Float32Array(4),
        [1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0],
      ),
    ).toThrow(/sizes do not match/);
    expect(() =>
      nativeAddon().matmul(new Float32Array(4), new Float32Array(4), null, new Float32Array(1e3), [1, 1, 2, 2, 2, 0, 0, 0]),
    ).toThrow(/sizes do not match/);
    expect(() =>
      nativeAddon().groupNormForward(new Float32Array(6), null, null, null, null, new Float32Array(6), [1, 6, 1, 2, 0], 1e-5),
    ).toThrow(/bad shape/);
    const f = (n: number) => new Float32Array(n);
    expect(() => nativeAddon().adam(f(4), f(4), f(3), f(4), f(4), f(4), f(4), 0.9, 0.999, 1e-3, 1, 1e-8, 1)).toThrow(
      /differ in size/,
    );
  });
  it('EvdmAdam through the kernel registry: clear error on mismatched moments', async () => {
    await runOn('cpu', true, [[3, 2]], (p) => {
      const run = (m: tf.Tensor) =>
        tf.engine().runKernel('EvdmAdam', { param: p, grad: p, m, v: p }, {
          beta1: 0.9,
          beta2: 0.999,
          lrOverBc1: 1e-3,
          bc2: 1,
          eps: 1e-8,
          clip: 1,
        } as unknown as tf.NamedAttrMap);
      expect(() => run(tf.zeros([2, 3]))).toThrow(/EvdmAdam needs float32 param, grad, m, v of one shape; m is float32 \[2,3\]/);
      return p.clone();
    });
  });
});
