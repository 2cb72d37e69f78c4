// EvdmSeededDropout (seededDropout of @evdm/core) on the native addon, for both hosts: the draw, the
// keep test and the multiply in one pass into an output from the host allocator (the cpu host's
// pool); the op's gradient is this kernel on dy with the same state.
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
    if (!Array.isArray(a?.state) || a.state.length !== 4 || !(a.keep > 0 && a.keep <= 1) || !Number.isFinite(a.scale)) {
      throw new Error(`@evdm/backend-native: EvdmSeededDropout attrs must be {state: [s0, s1, s2, c], keep in (0, 1], scale}`);
    }
    const h = hostFor(host, args.backend);
    const out = h.alloc([...x.shape]);
    if (util.sizeFromShape(x.shape) > 0) nativeAddon().seededDropout!(h.view(x), h.view(out), a.state, a.keep, a.scale);
    return out;
  };
}
