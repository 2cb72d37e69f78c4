// Loads the compiled oneDNN addon (build/Release/evdm_native.node) once; never throws.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw functions of the addon (see native/*.cc). Arrays are float32 views of backend memory. */
export interface NativeAddon {
  init(threads: number): number;
  version(): string;
  cacheSize(): number;
  clearCache(): void;
  conv(kind: 0 | 1 | 2, a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, params: number[], alpha?: number): boolean;
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, params: number[], alpha?: number): boolean;
  copy(src: Float32Array, srcOffset: number, srcStrides: number[], dst: Float32Array, dstOffset: number, dstStrides: number[], shape: number[]): void;
  fill(dst: Float32Array, value: number): void;
  binary(op: number, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, shape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha?: number): void;
  sum(x: Float32Array, shape: number[], outStrides: number[], out: Float32Array): void;
  softmax(x: Float32Array, out: Float32Array, cols: number): void;
  adam(
    param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, paramOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
    beta1: number, beta2: number, lrOverBc1: number, bc2: number, eps: number, clip: number,
  ): void;
  groupNormForward(x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, scale: Float32Array | null, shift: Float32Array | null, y: Float32Array, params: number[], eps: number): void;
  groupNormBackward(
    dy: Float32Array, x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, scale: Float32Array | null, shift: Float32Array | null,
    dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null, dscale: Float32Array | null, dshift: Float32Array | null,
    params: number[], eps: number,
  ): void;
}

export type NativeStatus = { ok: true; version: string; threads: number } | { ok: false; reason: string };

let status: NativeStatus | null = null;
let addon: NativeAddon | null = null;

/** Path of the compiled addon inside this package (src/ and dist/ are both one level down). */
export function addonPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'evdm_native.node');
}

/** `EVDM_NATIVE_THREADS` if set (a positive integer), else the machine's available parallelism. */
export function threadCount(env: Record<string, string | undefined> = process.env): number {
  const raw = env.EVDM_NATIVE_THREADS;
  if (raw === undefined || raw.trim() === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`EVDM_NATIVE_THREADS must be a positive integer, got '${raw}'`);
  return n;
}

/**
 * Loads the addon and sets its thread count. Returns `{ok:false, reason}` (never throws) when it is
 * disabled (`EVDM_NATIVE=0`), was not built (no libdnnl-dev / compiler at install time), or fails
 * to load.
 */
export function loadNative(): NativeStatus {
  if (process.env.EVDM_NATIVE === '0') return { ok: false, reason: 'disabled (EVDM_NATIVE=0)' };
  if (status) return status;
  const path = addonPath();
  if (!existsSync(path)) {
    status = { ok: false, reason: 'addon not built (install libdnnl-dev and a C++ compiler, then reinstall @evdm/backend-native)' };
    return status;
  }
  try {
    const threads = threadCount();
    // libgomp reads this when the addon loads it: idle workers sleep instead of spinning, so they do
    // not take CPU from the JS thread (and from other processes) between kernels.
    if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
    const mod = createRequire(import.meta.url)(path) as NativeAddon;
    const actual = mod.init(threads);
    addon = mod;
    status = { ok: true, version: mod.version(), threads: actual };
  } catch (e) {
    status = { ok: false, reason: `addon failed to load: ${((e as Error).message ?? String(e)).split('\n')[0]}` };
  }
  return status;
}

/** The loaded addon; throws a clear error if loadNative() did not succeed. */
export function nativeAddon(): NativeAddon {
  if (!addon) {
    const s = loadNative();
    if (!s.ok) throw new Error(`@evdm/backend-native: native kernels unavailable: ${s.reason}`);
  }
  return addon as NativeAddon;
}
