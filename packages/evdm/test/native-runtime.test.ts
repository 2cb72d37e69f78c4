// evdm's runtime with and without the optional @evdm/backend-native kernels.
import * as tf from '@tensorflow/tfjs-core';
import { getGroupNormImplementation, setGroupNormImplementation } from '@evdm/core';
import { Ema } from '@evdm/diffusion';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/backend';
import { Adam } from '../src/train/adam';

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

  it('auto choice: with the addon built (and no tfjs-node) picks the cpu host and says why; EVDM_NATIVE=0 keeps the usual order', async () => {
    const prevBackend = process.env.EVDM_BACKEND;
    delete process.env.EVDM_BACKEND;
    try {
      process.env.EVDM_NATIVE = '0';
      const plain = await initBackend({ log: () => {} });
      expect(plain.name).toBe('wasm');
      delete process.env.EVDM_NATIVE;
      const status = (await nativeModule()).loadNative();
      const lines: string[] = [];
      const rt = await initBackend({ log: (l) => lines.push(l) });
      if (!status.ok) {
        if (process.env.CI) throw new Error(`native addon unusable in CI: ${status.reason}`);
        expect(rt.name).toBe('wasm');
        return;
      }
      expect(rt.name).toBe('cpu');
      expect(rt.native.active).toBe(true);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^evdm: backend cpu \(auto: native kernels present, the cpu host trains faster/);
    } finally {
      if (prevBackend === undefined) delete process.env.EVDM_BACKEND;
      else process.env.EVDM_BACKEND = prevBackend;
    }
  });

  it('Adam and Ema run the fused EvdmAdam / EvdmSumOfSquares / EvdmEma kernels when registered, equal to the composed updates, without leaks', async () => {
    delete process.env.EVDM_NATIVE;
    const status = (await nativeModule()).loadNative();
    if (!status.ok) {
      if (process.env.CI) throw new Error(`native addon unusable in CI: ${status.reason}`);
      return;
    }
    const values = (n: number, seed: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 3);
    // 3 steps: warm-up lr, bias corrections and (step 2) clipping all change between steps
    const train = async (host: 'cpu' | 'wasm', native: boolean) => {
      if (!native) (await nativeModule()).unregisterNativeKernels();
      await initBackend({ backend: host, native, log: () => {} });
      const params = [tf.variable(tf.tensor(values(37, 1), [37])), tf.variable(tf.tensor(values(6, 2), [2, 3]))];
      const opt = new Adam(params, { lr: 0.05, warmup: 2, gradClip: 2 });
      const ema = new Ema(params, { rate: 0.9 });
      const kernels: string[] = [];
      const norms: number[] = [];
      let leaked = 0;
      for (let step = 0; step < 3; step++) {
        const grads = params.map((p, k) => tf.tensor(values(p.size, 10 * step + k + 3), p.shape));
        const before = tf.memory().numTensors;
        const prof = await tf.profile(() => {
          norms.push(opt.apply(grads));
          ema.update();
        });
        leaked += tf.memory().numTensors - before;
        kernels.push(...prof.kernels.map((k) => k.name));
        tf.dispose(grads);
      }
      const { m, v } = opt.stateTensors();
      const out = [...params, ...m, ...v].map((t) => Array.from(t.dataSync()));
      const shadow = Object.values(ema.shadow).map((t) => Array.from(t.dataSync()));
      ema.dispose();
      opt.dispose();
      tf.dispose(params);
      return { out, kernels, leaked, norms, shadow };
    };
    for (const host of ['cpu', 'wasm'] as const) {
      const fused = await train(host, true);
      const composed = await train(host, false);
      expect(fused.kernels).toContain('EvdmAdam');
      expect(composed.kernels).not.toContain('EvdmAdam');
      expect(fused.kernels).toContain('EvdmSumOfSquares');
      expect(fused.kernels).toContain('EvdmEma');
      expect(composed.kernels).not.toContain('EvdmEma');
      expect(composed.kernels).not.toContain('EvdmSumOfSquares');
      // the norm: one double sum vs float32 Square + Sum + AddN
      fused.norms.forEach((n, i) => expect(Math.abs(n - composed.norms[i]) / composed.norms[i]).toBeLessThan(1e-6));
      expect(fused.leaked).toBe(0);
      [...fused.out, ...fused.shadow].forEach((a, i) => {
        const b = [...composed.out, ...composed.shadow][i];
        const err = Math.sqrt(a.reduce((acc, x, j) => acc + (x - b[j]) ** 2, 0) / b.reduce((acc, x) => acc + x * x, 0));
        console.log(`fused vs composed Adam on ${host}, tensor ${i}: relative L2 ${err.toExponential(2)}`);
        // the norms (so the clip factors) differ in the last bits, and float32 rounding of that grows
        // in β1·m + (1 − β1)·g when the terms nearly cancel: the moments agree to ~1e-6
        expect(err).toBeLessThan(1e-5);
      });
    }
  });
});
