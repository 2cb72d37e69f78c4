// _FusedMatMul (matmul + bias + activation) for wasm: like BatchMatMul, the stock kernel only
// reaches XNNPACK for one untransposed product (transposeB measured 7x slower). Dense layers and
// their fused forward passes use it, so it gets the same treatment.
import { _FusedMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { batchedUntransposed, untransposed } from './batch-matmul';
import { requireFloat32, type WasmBackendLike } from './wasm-calls';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
  activation: string;
  leakyreluAlpha?: number;
}

export function makeFusedMatMulWasm(stock: KernelConfig) {
  return function fusedMatMulWasm(args: {
    inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    backend: WasmBackendLike;
    attrs: Attrs;
  }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs;
    requireFloat32(_FusedMatMul, { a, b });
    const extra: Record<string, TensorInfo> = {};
    if (bias != null) extra.bias = bias;
    if (preluActivationWeights != null) extra.preluActivationWeights = preluActivationWeights;
    const { a2, b2, done } = untransposed(backend, _FusedMatMul, a, b, attrs.transposeA, attrs.transposeB);
    try {
      return batchedUntransposed(backend, _FusedMatMul, stock, a2, b2, extra, {
        activation: attrs.activation,
        leakyreluAlpha: attrs.leakyreluAlpha,
      });
    } finally {
      done();
    }
  };
}

export function fusedMatMulConfig(stock: KernelConfig): KernelConfig {
  return {
    kernelName: _FusedMatMul,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    kernelFunc: makeFusedMatMulWasm(stock) as unknown as KernelFunc,
  };
}
