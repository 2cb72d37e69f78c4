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

/** Drops every cached oneDNN primitive. */
export function clearNativeCache(): void {
  nativeAddon().clearCache();
}
export { poolFor, poolCapFromEnv, BufferPool, type PoolStats } from './pool';
