// evdm's runtime with and without the optional @evdm/backend-native kernels.
import * as tf from '@tensorflow/tfjs-core';
import { getGroupNormImplementation, setGroupNormImplementation } from '@evdm/core';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/backend';

const prevEnv = process.env.EVDM_NATIVE;
async function nativeModule() {
  return (await import('@evdm/backend-native')) as typeof import('@evdm/backend-native');
}

afterEach(async () => {
  if (prevEnv === undefined) delete process.env.EVDM_NATIVE;
  else process.env.EVDM_NATIVE = prevEnv;
  (await nativeModule()).unregisterNativeKernels();
  setGroupNormImplementation(null);
});

describe('initBackend and the native kernels', () => {
  it('EVDM_NATIVE=0 keeps the pure TF.js path and says why in its one log line', async () => {
    process.env.EVDM_NATIVE = '0';
    const lines: string[] = [];
    const rt = await initBackend({ backend: 'wasm', log: (l) => lines.push(l) });
    expect(rt.native.active).toBe(false);
    expect(rt.native.reason).toBe('disabled (EVDM_NATIVE=0)');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/disabled \(EVDM_NATIVE=0\)/);
    expect(getGroupNormImplementation()).toBe('default');
    expect((await nativeModule()).nativeKernelsActive('wasm')).toBe(false);
  });

  it('with the addon built, registers the native kernels and the fused GroupNorm (else reports why)', async () => {
    delete process.env.EVDM_NATIVE;
    const status = (await nativeModule()).loadNative();
    const lines: string[] = [];
    const rt = await initBackend({ backend: 'wasm', log: (l) => lines.push(l) });
    if (!status.ok) {
      if (process.env.CI) throw new Error(`native addon unusable in CI: ${status.reason}`);
      expect(rt.native.active).toBe(false);
      expect(lines[0]).toMatch(/native kernels unavailable/);
      return;
    }
    expect(rt.native.active).toBe(true);
    expect(rt.native.kernels).toContain('Conv2D');
    expect(rt.native.kernels).toContain('EvdmGroupNorm');
    expect(getGroupNormImplementation()).toBe('custom');
    expect(lines[0]).toMatch(/native oneDNN \d+\.\d+\.\d+, \d+ thread/);
    expect(tf.getBackend()).toBe('wasm');
  });
});
