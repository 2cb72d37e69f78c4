// Thin helpers for composing wasm kernels out of other registered wasm kernels.
// Everything here works on TensorInfo (dataId + shape), never on tf.Tensor, because kernel
// functions run inside the engine and must not create tracked tensors.
import { getKernel, util, type DataType, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The subset of tfjs-backend-wasm's BackendWasm that these kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  getMemoryOffset(dataId: object): number;
  dataIdMap: { get(dataId: object): { id: number } | undefined; delete(dataId: object): boolean };
  wasm: { HEAPF32: Float32Array; tfjs: { disposeData(id: number): void } };
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelFuncLike = (args: {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: NamedAttrMap;
}) => TensorInfo | TensorInfo[];

/** A stock wasm kernel's function, looked up by name; throws clearly when it is missing. */
export function wasmKernelFunc(kernelName: string): KernelFuncLike {
  const config = getKernel(kernelName, 'wasm');
  if (config == null) {
    throw new Error(
      `evdm wasm kernels: the wasm backend has no '${kernelName}' kernel to build on (is @tensorflow/tfjs-backend-wasm imported?)`,
    );
  }
  return config.kernelFunc as unknown as KernelFuncLike;
}

/** Runs a registered wasm kernel by name and returns its single output. */
export function runWasm(
  backend: WasmBackendLike,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
  impl?: KernelConfig,
): TensorInfo {
  const func = impl ? (impl.kernelFunc as unknown as KernelFuncLike) : wasmKernelFunc(kernelName);
  const out = func({ inputs, backend, attrs: attrs as NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`evdm wasm kernels: '${kernelName}' returned several outputs`);
  return out;
}

/** Frees intermediate results of a composed kernel. */
export function release(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function transpose(backend: WasmBackendLike, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasm(backend, 'Transpose', { x }, { perm });
}

export function reshape(backend: WasmBackendLike, x: TensorInfo, shape: number[]): TensorInfo {
  return runWasm(backend, 'Reshape', { x }, { shape });
}

/** Keeps rows [0, keepH) and columns [0, keepW) of an NHWC tensor (used for negative padding). */
export function cropNhwc(backend: WasmBackendLike, x: TensorInfo, keepH: number, keepW: number): TensorInfo {
  const [n, , , c] = x.shape;
  return runWasm(backend, 'Slice', { x }, { begin: [0, 0, 0, 0], size: [n, keepH, keepW, c] });
}

/** A float32 output tensor filled with zeros (wasm's malloc does not clear memory). */
export function zeros(backend: WasmBackendLike, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}

export function sizeOf(shape: number[]): number {
  return util.sizeFromShape(shape);
}

/** Reads a float32 heap view; call only after all allocations of a step (the heap may grow and detach views). */
export function f32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) throw new Error(`evdm wasm kernels: expected float32, got ${info.dtype}`);
  return view;
}

export function requireFloat32(kernelName: string, infos: Record<string, TensorInfo>): void {
  for (const [name, info] of Object.entries(infos)) {
    if (info.dtype !== 'float32') {
      throw new Error(`evdm wasm ${kernelName}: input '${name}' must be float32, got ${info.dtype}`);
    }
  }
}

/**
 * Index of a float32 tensor's first element in `HEAPF32`. Byte offsets pass 2^31 once the wasm heap
 * grows beyond 2 GB (KTH-size training does): a signed `offset >> 2` would then go negative and
 * `copyWithin` would count from the end of the heap, corrupting it.
 */
export function heapF32Index(backend: WasmBackendLike, info: TensorInfo): number {
  return backend.getMemoryOffset(info.dataId) / 4;
}

/**
 * A tensor that aliases `shape` elements of `base` starting at element `offset`, without a copy.
 * Release it with dropAlias (never disposeData: that would free() the middle of base's block).
 */
export function alias(backend: WasmBackendLike, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32', backend.getMemoryOffset(base.dataId) + offset * 4);
}

/** Forgets an alias: drops its id on the C++ side (and any cached XNNPACK operator) without freeing memory. */
export function dropAlias(backend: WasmBackendLike, info: TensorInfo): void {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) return;
  backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(info.dataId);
}
