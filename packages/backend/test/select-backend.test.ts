import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../../../test-utils/tf';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeBackend } from '../src/describe-backend';
import { ensureGradients } from '../src/gradients';
import { loadOptional, loadTfjsNode, resolvePackageDir, type LoadResult } from '../src/module-loader';
import { selectBackendWith, type SelectorDeps } from '../src/select-backend';
import { unregisterWasmTrainingKernels, wasmTrainingKernelsActive } from '../src/wasm-kernels/register';

const NODE_PKGS = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** The real loader, except that the tfjs-node packages get the given fate. */
function deps(env: Record<string, string | undefined>, tfjsNode: Record<string, () => LoadResult> = {}): SelectorDeps {
  return {
    env,
    load: (spec) => {
      if (NODE_PKGS.includes(spec)) return (tfjsNode[spec] ?? (() => ({ ok: false, missing: true }) as const))();
      return loadOptional(spec);
    },
  };
}

function collect(): { lines: string[]; log: (l: string) => void } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l) };
}

afterEach(() => {
  unregisterWasmTrainingKernels();
  if (tf.engine().registryFactory['tensorflow']) tf.removeBackend('tensorflow');
});

describe('selectBackend order with the tfjs-node packages absent', () => {
  it('auto picks wasm with the training kernels and logs one line saying why', async () => {
    const { lines, log } = collect();
    const sel = await selectBackendWith({ log }, deps({}));
    expect(sel).toMatchObject({ name: 'wasm', source: '@tensorflow/tfjs-backend-wasm' });
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmTrainingKernelsActive()).toBe(true);
    expect(lines).toEqual([
      'evdm: backend wasm (tfjs-node-gpu not installed; tfjs-node not installed; wasm + evdm training kernels)',
    ]);
    expect(describeBackend()).toMatch(/^wasm \(1 thread, evdm training kernels on, gradients registered\)$/);
  });

  it('wasmTrainingKernels: false leaves the stock kernels', async () => {
    const { log } = collect();
    const sel = await selectBackendWith({ log, wasmTrainingKernels: false }, deps({}));
    expect(sel.name).toBe('wasm');
    expect(sel.reason).toMatch(/stock kernels/);
    expect(wasmTrainingKernelsActive()).toBe(false);
  });

  it('EVDM_BACKEND=tensorflow gives a clear error saying what to install', async () => {
    const { lines, log } = collect();
    const run = selectBackendWith({ log }, deps({ EVDM_BACKEND: 'tensorflow' }));
    await expect(run).rejects.toThrow(
      /EVDM_BACKEND=tensorflow.*tfjs-node-gpu not installed; tfjs-node not installed.*Install @tensorflow\/tfjs-node/,
    );
    expect(lines).toEqual([]);
  });

  it('a tfjs-node whose native addon fails to load is reported, then skipped in auto mode', async () => {
    const broken = (): LoadResult => ({
      ok: false,
      missing: false,
      error: new Error('The Node.js native addon module (tfjs_binding.node) can not be found'),
    });
    const { lines, log } = collect();
    const sel = await selectBackendWith({ log }, deps({}, { '@tensorflow/tfjs-node': broken }));
    expect(sel.name).toBe('wasm');
    expect(lines[0]).toMatch(/tfjs-node: The Node.js native addon module \(tfjs_binding\.node\) can not be found/);
    await expect(
      selectBackendWith({ backend: 'tensorflow', log }, deps({}, { '@tensorflow/tfjs-node': broken })),
    ).rejects.toThrow(/option backend='tensorflow'.*tfjs_binding\.node/);
  });

  it('prefers tfjs-node-gpu, then tfjs-node, when they register a tensorflow backend', async () => {
    // Stand-in for tfjs-node: registers a backend named 'tensorflow' (a cpu backend instance).
    const cpuFactory = tf.engine().registryFactory['cpu'].factory;
    const fakeNode = (): LoadResult => {
      tf.registerBackend('tensorflow', cpuFactory, 3);
      return { ok: true, module: {}, resolvedFrom: 'project' };
    };
    const { lines, log } = collect();
    const sel = await selectBackendWith({ log }, deps({}, { '@tensorflow/tfjs-node': fakeNode }));
    expect(sel).toEqual({ name: 'tensorflow', source: '@tensorflow/tfjs-node', reason: 'tfjs-node-gpu not installed' });
    expect(tf.getBackend()).toBe('tensorflow');
    expect(lines).toEqual(['evdm: backend tensorflow (tfjs-node-gpu not installed)']);
    tf.removeBackend('tensorflow');
    const gpu = await selectBackendWith(
      { log },
      deps({}, { '@tensorflow/tfjs-node-gpu': fakeNode, '@tensorflow/tfjs-node': fakeNode }),
    );
    expect(gpu.source).toBe('@tensorflow/tfjs-node-gpu');
  });

  it('EVDM_BACKEND=cpu forces cpu without the tfjs "use tfjs-node" banner', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { lines, log } = collect();
    const sel = await selectBackendWith({ log }, deps({ EVDM_BACKEND: 'cpu' }));
    expect(sel).toMatchObject({ name: 'cpu', source: '@tensorflow/tfjs-backend-cpu' });
    tf.tensor([1, 2, 3]).dispose();
    expect(warn.mock.calls.flat().join(' ')).not.toMatch(/looks like you are running/);
    warn.mockRestore();
    expect(lines).toEqual(['evdm: backend cpu (forced by EVDM_BACKEND=cpu; pure JS, slow)']);
  });

  it('the option wins over EVDM_BACKEND, and bad values are rejected by name', async () => {
    const { log } = collect();
    expect((await selectBackendWith({ backend: 'wasm', log }, deps({ EVDM_BACKEND: 'cpu' }))).name).toBe('wasm');
    await expect(selectBackendWith({ log }, deps({ EVDM_BACKEND: 'gpu' }))).rejects.toThrow(
      /EVDM_BACKEND must be one of auto, tensorflow, wasm, cpu; got 'gpu'/,
    );
    await expect(selectBackendWith({ backend: 'webgl' as never, log }, deps({}))).rejects.toThrow(
      /backend option must be one of/,
    );
  });

  it('the default logger honours EVDM_LOG=quiet', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await selectBackendWith({}, deps({ EVDM_LOG: 'quiet', EVDM_BACKEND: 'wasm' }));
    expect(write).not.toHaveBeenCalled();
    await selectBackendWith({}, deps({ EVDM_BACKEND: 'wasm' }));
    expect(write).toHaveBeenCalledTimes(1);
    write.mockRestore();
  });
});

describe('ensureGradients', () => {
  it('reports gradients that are already registered', () => {
    expect(ensureGradients()).toBe('already-registered');
  });
});

describe('loadOptional', () => {
  it('distinguishes an absent package from one that fails', () => {
    expect(loadOptional('@evdm/this-package-does-not-exist')).toEqual({ ok: false, missing: true });
    const found = loadOptional('@tensorflow/tfjs-backend-wasm');
    expect(found.ok).toBe(true);
  });
  it('never requires a tfjs-node whose native addon is missing', () => {
    const res = loadTfjsNode('@tensorflow/tfjs-node');
    if (resolvePackageDir('@tensorflow/tfjs-node') == null) {
      expect(res).toEqual({ ok: false, missing: true });
    } else {
      // Installed here without running its install script (pnpm blocks it): no addon.
      expect(res.ok).toBe(false);
      expect(!res.ok && !res.missing && res.error.message).toMatch(/without its native addon/);
      expect(tf.engine().registryFactory['tensorflow']).toBeUndefined();
    }
    expect(loadTfjsNode('@tensorflow/tfjs-node-nonexistent')).toEqual({ ok: false, missing: true });
  });
});
