import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferPool, poolCapFromEnv, poolFor } from '../src/pool';
import { registerNativeKernels, unregisterNativeKernels } from '../src/index';
import { available, requireAddon } from './helpers';

requireAddon();

const N = [8, 16, 16]; // 2048 elements: above the pool's minimum size
const filled = (v: number, shape = N) => tf.fill(shape, v);

// The output-buffer pool of the cpu host (recycles disposed native-kernel outputs).
describe.skipIf(!available)('cpu host buffer pool', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    registerNativeKernels('cpu');
  });
  afterAll(() => unregisterNativeKernels());
  const pool = () => poolFor(tf.backend());

  it('recycles a disposed output for the next output of that size, with the right values', () => {
    const a = filled(1);
    const b = filled(2);
    tf.add(a, b).dispose();
    const before = pool().stats();
    const c = tf.mul(a, b);
    expect(pool().stats().reused).toBe(before.reused + 1);
    expect(Array.from(c.dataSync()).every((v) => v === 2)).toBe(true);
    tf.dispose([a, b, c]);
  });

  it('data read before dispose stays intact (dataSync, data(), bufferSync escape for good)', async () => {
    const a = filled(3);
    const t1 = tf.add(a, a);
    const v1 = t1.dataSync();
    const t2 = tf.mul(a, a);
    const v2 = await t2.data();
    const t3 = tf.sub(a, 1);
    const v3 = t3.bufferSync().values;
    tf.dispose([t1, t2, t3]);
    const escaped = pool().stats().escaped;
    // many outputs of that size afterwards: none may land in the arrays read out
    const later = Array.from({ length: 6 }, (_, i) => tf.add(a, i + 100));
    expect(Array.from(v1).every((v) => v === 6)).toBe(true);
    expect(Array.from(v2 as Float32Array).every((v) => v === 9)).toBe(true);
    expect(Array.from(v3 as Float32Array).every((v) => v === 2)).toBe(true);
    expect(escaped).toBeGreaterThanOrEqual(3);
    tf.dispose([a, ...later]);
  });

  it('never recycles user arrays given to tf.tensor', () => {
    const user = new Float32Array(2048).fill(7);
    const u = tf.tensor(user, N);
    const y = tf.add(u, 1);
    u.dispose();
    y.dispose();
    const later = Array.from({ length: 4 }, () => tf.mul(filled(5), 2));
    expect(user.every((v) => v === 7)).toBe(true);
    tf.dispose(later);
  });

  it('no cross-talk: live outputs never share memory; chained ops stay correct', () => {
    const a = filled(1);
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < 5; i++) {
      const t = tf.add(a, i);
      tf.mul(t, 3).dispose(); // frees one array per round for the next add to take
      outs.push(t);
    }
    outs.forEach((t, i) => expect(Array.from(t.dataSync()).every((v) => v === 1 + i)).toBe(true));
    tf.dispose([a, ...outs]);
  });

  it('kernels that need zeros get them from a recycled array (PadV2 with 0)', () => {
    const x = filled(1, [8, 16, 15]);
    tf.dispose(Array.from({ length: 3 }, () => tf.mul(filled(9), 9))); // the pool now holds 81s
    const p = tf.pad(x, [
      [0, 0],
      [0, 0],
      [1, 0],
    ]);
    const v = p.dataSync();
    for (let i = 0; i < v.length; i++) expect(v[i]).toBe(i % 16 === 0 ? 0 : 1);
    tf.dispose([x, p]);
  });

  it('a stock kernel sharing or sub-viewing a pool array marks it escaped', () => {
    const b = tf.backend() as unknown as MathBackendCPU;
    const t = tf.add(filled(1), 0);
    const values = b.data.get(t.dataId).values as Float32Array;
    const view = b.makeTensorInfo([1024], 'float32', values.subarray(0, 1024));
    const escaped = pool().stats().escaped;
    t.dispose();
    expect(pool().stats().escaped).toBe(escaped); // counted once, at the sharing
    expect(Array.from(tf.mul(filled(4), 4).dataSync()).every((v) => v === 16)).toBe(true);
    expect((b.readSync(view.dataId) as Float32Array).every((v) => v === 1)).toBe(true);
    b.disposeData(view.dataId);
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(() => tf.sum(tf.add(tf.transpose(filled(2)), 1), 1)));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('BufferPool bounds', () => {
  it('free bytes stay under the cap and under twice the peak of live bytes', () => {
    const backend = new MathBackendCPU();
    const pool = new BufferPool(backend as never, 64 * 1024);
    const infos = [];
    for (let i = 0; i < 40; i++) infos.push(pool.alloc([1024 + 16 * i]));
    for (const info of infos) backend.disposeData(info.dataId);
    let s = pool.stats();
    expect(s.freeBytes).toBeLessThanOrEqual(64 * 1024);
    expect(s.evicted).toBeGreaterThan(0);
    expect(s.liveBytes).toBe(0);
    const big = new BufferPool(backend as never, 2 ** 30);
    for (let round = 0; round < 20; round++) {
      const live = [big.alloc([2048 + round * 64]), big.alloc([4096])];
      for (const info of live) backend.disposeData(info.dataId);
      s = big.stats();
      expect(s.freeBytes + s.liveBytes).toBeLessThanOrEqual(2 * s.peakLiveBytes);
    }
    backend.dispose();
  });

  it('EVDM_POOL=0 and EVDM_POOL_MB=0 disable it; bad EVDM_POOL_MB is a clear error', () => {
    expect(poolCapFromEnv({ EVDM_POOL: '0' })).toBe(0);
    expect(poolCapFromEnv({ EVDM_POOL_MB: '0' })).toBe(0);
    expect(poolCapFromEnv({ EVDM_POOL_MB: '16' })).toBe(16 * 2 ** 20);
    expect(() => poolCapFromEnv({ EVDM_POOL_MB: 'lots' })).toThrow(/EVDM_POOL_MB.*'lots'/);
    const backend = new MathBackendCPU();
    const off = new BufferPool(backend as never, 0);
    const info = off.alloc([4096]);
    backend.disposeData(info.dataId);
    expect(off.alloc([4096])).toBeDefined();
    expect(off.stats()).toMatchObject({ enabled: false, reused: 0, freeBytes: 0 });
    backend.dispose();
  });
});
