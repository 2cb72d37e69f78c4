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
  type NativeWorkerPoolStats,
} from './addon';
export { registerNativeKernels, unregisterNativeKernels, nativeKernelsActive, NATIVE_KERNEL_NAMES } from './kernels';
export { fusedGroupNorm, nativeGroupNormAvailable } from './group-norm';
import { nativeAddon, type NativeWorkerPoolStats } from './addon';

/** Number of cached oneDNN primitives (convolutions + matmuls); for tests and diagnostics. */
export function nativeCacheSize(): number {
  return nativeAddon().cacheSize();
}

/** What the native worker pool did in this process (for tests and benchmarks). */
export function nativeWorkerPoolStats(): NativeWorkerPoolStats {
  return nativeAddon().poolStats();
}

/** Drops every cached oneDNN primitive. */
export function clearNativeCache(): void {
  nativeAddon().clearCache();
}
export { poolFor, poolCapFromEnv, BufferPool, type PoolStats } from './pool';
