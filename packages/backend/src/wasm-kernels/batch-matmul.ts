// BatchMatMul for wasm: the stock kernel is fast only without transposes (XNNPACK), and autodiff
// of a matmul always asks for transposed products. Transposed operands are materialised with
// the wasm Transpose kernel first, then the stock kernel runs untransposed.
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { release, requireFloat32, reshape, runWasm, sizeOf, transpose, type WasmBackendLike } from './wasm-calls';

/** Swaps the last two axes of a rank >= 2 tensor (as a batch of matrices). */
function swapLastTwo(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2];
  const cols = x.shape[rank - 1];
  const batch = sizeOf(x.shape.slice(0, -2));
  const as3d = reshape(backend, x, [batch, rows, cols]);
  const t = transpose(backend, as3d, [0, 2, 1]);
  const out = reshape(backend, t, [...x.shape.slice(0, -2), cols, rows]);
  release(backend, as3d, t);
  return out;
}

export function makeBatchMatMulWasm(stock: KernelConfig) {
  return function batchMatMulWasm(args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: WasmBackendLike;
    attrs: { transposeA: boolean; transposeB: boolean };
  }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    requireFloat32(BatchMatMul, { a, b });
    if (!attrs.transposeA && !attrs.transposeB) {
      return runWasm(backend, BatchMatMul, { a, b }, attrs, stock);
    }
    const a2 = attrs.transposeA ? swapLastTwo(backend, a) : a;
    const b2 = attrs.transposeB ? swapLastTwo(backend, b) : b;
    const out = runWasm(backend, BatchMatMul, { a: a2, b: b2 }, { transposeA: false, transposeB: false }, stock);
    if (a2 !== a) release(backend, a2);
    if (b2 !== b) release(backend, b2);
    return out;
  };
}

export function batchMatMulConfig(stock: KernelConfig): KernelConfig {
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    kernelFunc: makeBatchMatMulWasm(stock) as unknown as KernelFunc,
  };
}
