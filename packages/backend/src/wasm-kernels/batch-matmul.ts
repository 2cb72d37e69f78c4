// BatchMatMul for wasm. The stock kernel reaches XNNPACK only for a single untransposed matrix
// product; with a batch > 1 or a transpose (autodiff of a matmul always asks for transposed
// products) it runs a naive loop at 0.5-2 GFLOP/s. Here transposed operands are materialised
// with the Transpose kernel, and each batch entry runs the stock kernel on zero-copy aliases.
import { BatchMatMul, broadcast_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import {
  alias,
  dropAlias,
  heapF32Index,
  release,
  requireFloat32,
  reshape,
  runWasm,
  sizeOf,
  transpose,
  type WasmBackendLike,
} from './wasm-calls';

/** Below this many multiply-adds per matrix, the per-call setup of XNNPACK is not worth it. */
const MIN_MACS_PER_MATRIX = 4096;

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

/**
 * a:[...,M,K] times b:[...,K,N] (no transposes) through the stock kernel `kernelName`, one call per
 * batch entry on zero-copy aliases; `extra` inputs (bias, prelu weights) are passed to every call
 * and must broadcast over batch and rows. Falls back to one stock call when that does not pay.
 */
export function batchedUntransposed(
  backend: WasmBackendLike,
  kernelName: string,
  stock: KernelConfig,
  a: TensorInfo,
  b: TensorInfo,
  extra: Record<string, TensorInfo> = {},
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const fullAttrs = { ...attrs, transposeA: false, transposeB: false };
  const m = a.shape[a.shape.length - 2];
  const k = a.shape[a.shape.length - 1];
  const n = b.shape[b.shape.length - 1];
  const aBatch = sizeOf(a.shape.slice(0, -2));
  const bBatch = sizeOf(b.shape.slice(0, -2));
  const outBatchShape = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = sizeOf(outBatchShape);
  const simpleBroadcast = (aBatch === batch || aBatch === 1) && (bBatch === batch || bBatch === 1);
  const extras = Object.values(extra);
  const extrasPerRow = extras.every((t) => t.shape.length <= 1);
  // Stock _FusedMatMul applies the bias wrongly when batch > 1 (measured: later batch entries get
  // results off by the bias), so with extras the per-batch path is taken even for tiny matrices.
  const tiny = m * n * k < MIN_MACS_PER_MATRIX && extras.length === 0;
  if (batch <= 1 || !simpleBroadcast || !extrasPerRow || tiny) {
    return runWasm(backend, kernelName, { a, b, ...extra }, fullAttrs, stock);
  }
  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  const outBase = heapF32Index(backend, out);
  for (let i = 0; i < batch; i++) {
    const ai = alias(backend, a, (aBatch === 1 ? 0 : i) * m * k, [1, m, k]);
    const bi = alias(backend, b, (bBatch === 1 ? 0 : i) * k * n, [1, k, n]);
    const ri = runWasm(backend, kernelName, { a: ai, b: bi, ...extra }, fullAttrs, stock);
    const src = heapF32Index(backend, ri);
    backend.wasm.HEAPF32.copyWithin(outBase + i * m * n, src, src + m * n);
    release(backend, ri);
    dropAlias(backend, ai);
    dropAlias(backend, bi);
  }
  return out;
}

/** Materialises requested transposes; returns the operands and a cleanup. */
export function untransposed(
  backend: WasmBackendLike,
  kernelName: string,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { a2: TensorInfo; b2: TensorInfo; done: () => void } {
  const a2 = transposeA ? swapLastTwo(backend, a) : a;
  const b2 = transposeB ? swapLastTwo(backend, b) : b;
  const innerA = a2.shape[a2.shape.length - 1];
  const innerB = b2.shape[b2.shape.length - 2];
  const done = () => {
    if (a2 !== a) release(backend, a2);
    if (b2 !== b) release(backend, b2);
  };
  if (innerA !== innerB) {
    done();
    throw new Error(
      `evdm wasm ${kernelName}: inner dimensions differ (${innerA} vs ${innerB}) for shapes [${a.shape}] and [${b.shape}] with transposeA=${transposeA}, transposeB=${transposeB}`,
    );
  }
  return { a2, b2, done };
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
    const { a2, b2, done } = untransposed(backend, BatchMatMul, a, b, attrs.transposeA, attrs.transposeB);
    try {
      return batchedUntransposed(backend, BatchMatMul, stock, a2, b2);
    } finally {
      done();
    }
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
