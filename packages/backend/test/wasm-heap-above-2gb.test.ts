// Regression: once the wasm heap passes 2 GB (KTH-size training), byte offsets exceed 2^31. A signed
// `offset >> 2` in the batched matmul turned them negative and corrupted the heap (session 1's
// "memory access out of bounds" on KTH fwd+bwd). Own file: the 2.2 GB filler stays in this worker.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../src/wasm-kernels/register';
import { randomData } from './compare';

const FILLER_FLOATS = 560_000_000; // 2.24 GB: everything allocated afterwards sits above 2^31

function naiveBatchMatMul(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[(z * m + i) * k + p] * b[(z * k + p) * n + j];
        out[(z * m + i) * n + j] = s;
      }
  return out;
}

let filler: tf.Tensor;
beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
  filler = tf.fill([FILLER_FLOATS], 7);
});
afterAll(() => {
  filler.dispose();
  unregisterWasmTrainingKernels();
});

describe('wasm BatchMatMul with tensors above 2 GB of heap', () => {
  it('batched products are exact and leave the rest of the heap untouched', () => {
    const backend = tf.backend() as unknown as { getMemoryOffset(id: object): number };
    const [batch, m, k, n] = [3, 40, 37, 29];
    const aData = randomData([batch, m, k], 1);
    const bData = randomData([batch, k, n], 2);
    const expected = naiveBatchMatMul(aData, bData, batch, m, k, n);
    for (let round = 0; round < 3; round++) {
      const a = tf.tensor3d(aData, [batch, m, k]);
      const b = tf.tensor3d(bData, [batch, k, n]);
      const y = tf.matMul(a, b);
      // The precondition this test is about: the result really lives above 2^31.
      expect(backend.getMemoryOffset(y.dataId)).toBeGreaterThan(2 ** 31);
      const got = y.dataSync();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
      expect(worst).toBeLessThan(1e-4);
      tf.dispose([a, b, y]);
    }
    const tail = tf.slice(filler, [FILLER_FLOATS - 1_000_000], [1_000_000]);
    expect(tail.dataSync().every((v) => v === 7)).toBe(true);
    tail.dispose();
  });
});
