// tfjs-core registers no gradients by itself. The gradient configs ship inside the
// @tensorflow/tfjs-layers (and @tensorflow/tfjs) bundles, which register them into tfjs-core's
// global registry when loaded; deep-importing tfjs-core's register_all_gradients fails in plain
// Node ESM, so we load tfjs-layers (CJS main) instead, from the project or from this package.
import { getGradient } from '@tensorflow/tfjs-core';
import { registerBroadcastGradients } from './broadcast-gradients';
import { loadOptional } from './module-loader';

/** Kernels whose gradients evdm training needs; all come from the same registration. */
const PROBE_KERNELS = ['Conv2D', 'BatchMatMul', 'Sigmoid', 'Mean', 'Rsqrt', 'Exp', 'Softmax'];

export function gradientsRegistered(): boolean {
  return PROBE_KERNELS.every((k) => getGradient(k) != null);
}

/**
 * Makes sure tfjs gradients are registered, loading @tensorflow/tfjs-layers if needed, and replaces
 * the Sum and Mean gradients by broadcasts (broadcast-gradients.ts).
 * Returns where they came from; throws with an install hint when that is impossible.
 */
export function ensureGradients(): 'already-registered' | '@tensorflow/tfjs-layers' {
  if (gradientsRegistered()) {
    registerBroadcastGradients();
    return 'already-registered';
  }
  const loaded = loadOptional('@tensorflow/tfjs-layers');
  if (!loaded.ok) {
    const why = loaded.missing ? 'it is not installed' : loaded.error.message;
    throw new Error(
      `evdm: no tfjs gradients are registered and @tensorflow/tfjs-layers cannot be loaded (${why}); install @tensorflow/tfjs-layers@4.22.0 or import @tensorflow/tfjs`,
    );
  }
  if (!gradientsRegistered()) {
    const missing = PROBE_KERNELS.filter((k) => getGradient(k) == null).join(', ');
    throw new Error(
      `evdm: @tensorflow/tfjs-layers loaded but gradients are still missing for ${missing} (two different @tensorflow/tfjs-core copies?)`,
    );
  }
  registerBroadcastGradients();
  return '@tensorflow/tfjs-layers';
}
