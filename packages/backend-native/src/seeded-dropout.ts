// EvdmSeededDropout (seededDropout of @evdm/core) on the native addon, for both hosts: the hash, the
// keep test and the multiply in one pass into an output from the host allocator (the cpu host's
// pool); the op's gradient is this kernel on dy with the same keys.
import { util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { SeededDropoutAttrs } from '@evdm/core';
import { nativeAddon } from './addon';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

/** Whether the loaded addon has the kernel (an older prebuilt binary may not). */
export function seededDropoutNative(): boolean {
  return typeof nativeAddon().seededDropout === 'function';
}

export function seededDropoutKernel(host: HostName) {
  return (args: Args): TensorInfo => {
    const a = args.attrs as unknown as SeededDropoutAttrs;
    const x = args.inputs.x;
    if (!x || x.dtype !== 'float32') {
      throw new Error(`@evdm/backend-native: EvdmSeededDropout needs a float32 x, got ${x ? `${x.dtype} [${x.shape}]` : 'none'}`);
    }
    const keysOk =
      Array.isArray(a?.keys) && a.keys.length === 2 && a.keys.every((k) => Number.isInteger(k) && k >= 0 && k < 2 ** 32);
    if (!keysOk || !Number.isInteger(a.threshold) || a.threshold < 0 || a.threshold > 2 ** 24 || !Number.isFinite(a.scale)) {
      throw new Error(
        `@evdm/backend-native: EvdmSeededDropout attrs must be {keys: [k0, k1] (uint32), threshold in [0, 2^24], scale}`,
      );
    }
    const h = hostFor(host, args.backend);
    const out = h.alloc([...x.shape]);
    if (util.sizeFromShape(x.shape) > 0) nativeAddon().seededDropout!(h.view(x), h.view(out), a.keys, a.threshold, a.scale);
    return out;
  };
}
