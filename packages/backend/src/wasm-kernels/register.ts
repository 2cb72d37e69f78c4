// Installs (and can remove) the evdm training kernels on the wasm backend.
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { loadOptional } from '../module-loader';
import { batchMatMulConfig } from './batch-matmul';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop';
import { fusedMatMulConfig } from './fused-matmul';
import { sliceConfig, splitVConfig, unpackConfig } from './slice';

/** Stock configs we replaced (undefined = kernel did not exist), so they can be restored. */
const replaced = new Map<string, KernelConfig | undefined>();
const ours = new Set<KernelConfig['kernelFunc']>();

/** Imports @tensorflow/tfjs-backend-wasm (registers the 'wasm' backend and its stock kernels). */
export function loadWasmBackendModule(): void {
  if (getKernel('Conv2D', 'wasm') != null) return;
  const loaded = loadOptional('@tensorflow/tfjs-backend-wasm');
  if (!loaded.ok) {
    const why = loaded.missing ? 'it is not installed' : loaded.error.message;
    throw new Error(`evdm: cannot load @tensorflow/tfjs-backend-wasm (${why}); install @tensorflow/tfjs-backend-wasm@4.22.0`);
  }
}

/** The stock wasm kernel we wrap (the saved one once replaced). */
function stockKernel(name: string): KernelConfig {
  const stock = replaced.get(name) ?? getKernel(name, 'wasm');
  if (stock == null) throw new Error(`evdm: the wasm backend has no ${name} kernel to wrap`);
  return stock;
}

function install(config: KernelConfig): void {
  const current = getKernel(config.kernelName, 'wasm');
  if (current && ours.has(current.kernelFunc)) return;
  if (!replaced.has(config.kernelName)) replaced.set(config.kernelName, current);
  if (current) unregisterKernel(config.kernelName, 'wasm');
  ours.add(config.kernelFunc);
  registerKernel(config);
}

/**
 * Registers the wasm kernels that training needs: the missing Conv2DBackpropFilter and depthwise
 * backprops, and XNNPACK-backed replacements for the naive Conv2DBackpropInput and the batched or
 * transposed BatchMatMul / _FusedMatMul, and Slice / Unpack / SplitV that stay fast at rank 5+. Idempotent; returns the kernel names it manages. Loads tfjs-backend-wasm if needed.
 */
export function registerWasmTrainingKernels(): string[] {
  loadWasmBackendModule();
  const stockMatMul = stockKernel('BatchMatMul');
  const stockFusedMatMul = stockKernel('_FusedMatMul');
  const stockSlice = stockKernel('Slice');
  const configs = [
    conv2dBackpropFilterConfig(),
    conv2dBackpropInputConfig(),
    depthwiseBackpropInputConfig(),
    depthwiseBackpropFilterConfig(),
    unpackConfig(),
    splitVConfig(),
  ];
  if (!ours.has(stockMatMul.kernelFunc)) configs.push(batchMatMulConfig(stockMatMul));
  if (!ours.has(stockFusedMatMul.kernelFunc)) configs.push(fusedMatMulConfig(stockFusedMatMul));
  if (!ours.has(stockSlice.kernelFunc)) configs.push(sliceConfig(stockSlice));
  for (const config of configs) install(config);
  return [...replaced.keys()];
}

/** Restores the stock wasm kernels (for benchmarks and tests); returns the names restored. */
export function unregisterWasmTrainingKernels(): string[] {
  const names = [...replaced.keys()];
  for (const [name, stock] of replaced) {
    unregisterKernel(name, 'wasm');
    if (stock) registerKernel(stock);
  }
  replaced.clear();
  ours.clear();
  return names;
}

/** Whether the evdm kernels are currently installed on wasm. */
export function wasmTrainingKernelsActive(): boolean {
  const k = getKernel('Conv2DBackpropFilter', 'wasm');
  return k != null && ours.has(k.kernelFunc);
}
