// @evdm/backend-native: optional oneDNN kernels (N-API addon) for the TF.js wasm and cpu backends.
export {
  loadNative,
  threadCount,
  splitBytes,
  DEFAULT_SPLIT_BYTES,
  SPIN_SPLIT_BYTES,
  DEFAULT_SPLIT_FLOPS,
  SPIN_SPLIT_FLOPS,
  splitFlops,
  passiveWait,
  poolWorkers,
  poolBounds,
  POOL_SPIN_MICROS,
  DEFAULT_POOL_BYTES,
  DEFAULT_POOL_FLOPS,
  addonPath,
  resolveAddon,
  loadFailureReason,
  type NativeStatus,
} from './addon';
export { registerNativeKernels, unregisterNativeKernels, nativeKernelsActive, NATIVE_KERNEL_NAMES } from './kernels';
export { fusedGroupNorm, nativeGroupNormAvailable } from './group-norm';
import { nativeAddon } from './addon';

/** Number of cached oneDNN primitives (convolutions + matmuls); for tests and diagnostics. */
export function nativeCacheSize(): number {
  return nativeAddon().cacheSize();
}

/**
 * Counters of the native worker pool (native/pool.h): jobs it ran split, their chunks, the chunks
 * its workers ran (the rest ran on the calling thread), and how often it stood down because its
 * workers were not getting CPU time. For tests and benchmarks.
 */
export function nativeWorkerPoolStats(): {
  jobs: number;
  chunks: number;
  workerChunks: number;
  standDowns: number;
  waitMs: number;
  ownMs: number;
} {
  return nativeAddon().poolStats();
}

/** Drops every cached oneDNN primitive. */
export function clearNativeCache(): void {
  nativeAddon().clearCache();
}
export { poolFor, poolCapFromEnv, BufferPool, type PoolStats } from './pool';
