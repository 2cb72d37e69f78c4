// Shared helpers of the native-kernel tests: availability gate, seeded data, backend runs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { it } from 'vitest';
// seeded data and gradients as in @evdm/backend's wasm-kernel tests; relative L2 error as in every test
import { relL2 as relErr } from '../../../test-utils/tf';
import { gradsOf, randomData } from '../../backend/test/compare';
import { loadNative, registerNativeKernels, unregisterNativeKernels } from '../src/index';

export { gradsOf, randomData, relErr };

// Passes over 64 KB split over the threads in these tests (default 4 MB), so modest shapes run both
// the one-thread and the split code paths of every memory-bound kernel.
process.env.EVDM_NATIVE_SPLIT_BYTES = '65536';
// Likewise the worker pool (native/pool.h): passes over 8 KB and convs / matmuls over 2000 FLOPs
// split over it (defaults 256 KB, 2·10^6), so modest shapes run the banded convs and matmuls.
process.env.EVDM_NATIVE_POOL_BYTES = '8192';
process.env.EVDM_NATIVE_POOL_FLOPS = '2000';
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

export type Host = 'cpu' | 'wasm';
export const HOSTS: Host[] = ['cpu', 'wasm'];

/** Switches to `host` with (native) or without the native kernels registered. */
export async function useHost(host: Host, native: boolean): Promise<void> {
  await tf.setBackend(host);
  await tf.ready();
  unregisterNativeKernels();
  if (native) registerNativeKernels(host);
}

/**
 * Runs fn on `backend` from seeded inputs and returns every output's values. native=false runs the
 * pure-TF.js kernels (stock, plus evdm's wasm training kernels on wasm).
 */
export async function runOn(
  backend: Host,
  native: boolean,
  shapes: number[][],
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  seed = 1,
): Promise<Float32Array[]> {
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

/** Worst relative error of the native run on `host` against the pure-TF.js cpu reference. */
export async function nativeVsReference(
  host: Host,
  shapes: number[][],
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<number> {
  const ref = await runOn('cpu', false, shapes, fn);
  const got = await runOn(host, true, shapes, fn);
  if (got.length !== ref.length) throw new Error('output count differs');
  return Math.max(...got.map((g, i) => relErr(g, ref[i])));
}
