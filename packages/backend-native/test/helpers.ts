// Shared helpers of the native-kernel tests: availability gate, seeded data, backend runs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@evdm/core';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { it } from 'vitest';
import '../../../test-utils/tf';
import { loadNative, registerNativeKernels, unregisterNativeKernels } from '../src/index';

export const status = loadNative();
export const available = status.ok;
export const TOL = 1e-4;

/**
 * When the addon is not built: locally, one visibly skipped test says why; in CI (process.env.CI
 * set, where .ci/system-deps installs libdnnl-dev) it is a failing test.
 */
export function requireAddon(): void {
  if (status.ok) return;
  if (process.env.CI) {
    it('native addon is built (required in CI)', () => {
      throw new Error(`@evdm/backend-native is not usable in CI: ${status.reason}`);
    });
  } else {
    console.warn(`@evdm/backend-native tests skipped: ${status.reason}`);
    it.skip(`native addon not built: ${status.reason}`, () => {});
  }
}

export function randomData(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rng.normal());
}

export type Host = 'cpu' | 'wasm';
export const HOSTS: Host[] = ['cpu', 'wasm'];

/**
 * Runs fn on `backend` from seeded inputs and returns every output's values. native=false runs the
 * pure-TF.js kernels (stock, plus evdm's wasm training kernels on wasm).
 */
export async function runOn(backend: Host, native: boolean, shapes: number[][], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], seed = 1): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  await tf.ready();
  if (backend === 'wasm') registerWasmTrainingKernels();
  unregisterNativeKernels();
  if (native) registerNativeKernels(backend);
  try {
    const xs = shapes.map((s, i) => tf.tensor(randomData(s, seed + i), s));
    const out = fn(...xs);
    const list = Array.isArray(out) ? out : [out];
    const values = list.map((t) => t.dataSync().slice() as Float32Array);
    tf.dispose([...xs, ...list]);
    return values;
  } finally {
    unregisterNativeKernels();
  }
}

/** Gradients of sum(f(xs) * r) for a fixed random r: exercises every backward kernel of f. */
export function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, rSeed = 99): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const shape = tf.tidy(() => f(...xs).shape);
    const r = tf.tensor(randomData(shape, rSeed), shape);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), r)))(xs);
    r.dispose();
    return g;
  };
}

export function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Worst relative error of the native run on `host` against the pure-TF.js cpu reference. */
export async function nativeVsReference(host: Host, shapes: number[][], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<number> {
  const ref = await runOn('cpu', false, shapes, fn);
  const got = await runOn(host, true, shapes, fn);
  if (got.length !== ref.length) throw new Error('output count differs');
  return Math.max(...got.map((g, i) => relErr(g, ref[i])));
}
