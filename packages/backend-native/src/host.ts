// Zero-copy access to tensor memory of the two TF.js host backends.
// wasm: tensors live in the wasm heap (`backend.wasm.HEAPU8.buffer`) at `dataIdMap.get(id).memoryOffset`
//       (an unsigned byte offset that can pass 2^31 once the heap grows beyond 2 GB).
// cpu:  tensors are typed arrays in `backend.data.get(id).values`.
import { util, type DataType, type TensorInfo } from '@tensorflow/tfjs-core';
import { poolFor } from './pool';

export type HostName = 'wasm' | 'cpu';

interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } | undefined };
}

/** Output allocation and float32 views for one kernel call. Take views only after every allocation: a growing wasm heap detaches earlier views. */
export interface Host {
  /** A float32 output; its contents are undefined unless `zero` (a recycled cpu-host buffer holds old data). */
  alloc(shape: number[], zero?: boolean): TensorInfo;
  view(info: TensorInfo): Float32Array;
}

export function hostFor(name: HostName, backend: unknown): Host {
  if (name === 'wasm') {
    const b = backend as WasmBackend;
    return {
      alloc: (shape) => b.makeOutput(shape, 'float32'),
      view: (info) => {
        const entry = b.dataIdMap.get(info.dataId);
        if (entry == null) throw new Error('@evdm/backend-native: tensor is not on the wasm backend');
        const heap = b.wasm.HEAPU8.buffer;
        const [offset, n] = [entry.memoryOffset >>> 0, util.sizeFromShape(info.shape)];
        // a failed allocation at the 4 GB limit leaves an offset the data does not fit behind
        if (offset + 4 * n > heap.byteLength)
          throw new Error(
            `@evdm/backend-native: the wasm heap is exhausted (${heap.byteLength} bytes, at most 4 GB): a [${info.shape}] tensor does not fit; use the cpu host (backend 'cpu') for this size`,
          );
        return new Float32Array(heap, offset, n);
      },
    };
  }
  const b = backend as CpuBackend;
  return {
    alloc: (shape, zero) => poolFor(b).alloc(shape, zero),
    view: (info) => {
      const values = b.data.get(info.dataId)?.values;
      if (values instanceof Float32Array) return values;
      // tfjs-backend-cpu's Cast bool/int32 -> float32 shares the input's Uint8Array/Int32Array
      // (no encoding loss), so a float32 tensor can hold other typed arrays: read a float copy.
      if (ArrayBuffer.isView(values) && !(values instanceof DataView))
        return Float32Array.from(values as unknown as ArrayLike<number>);
      throw new Error(`@evdm/backend-native: tensor of shape [${info.shape}] has no numeric values on the cpu backend`);
    },
  };
}

/** Every tensor is float32 and non-empty (otherwise the stock kernel runs). */
export function nativeEligible(...infos: (TensorInfo | undefined)[]): boolean {
  for (const t of infos) {
    if (t === undefined) continue;
    if (t.dtype !== 'float32' || util.sizeFromShape(t.shape) === 0) return false;
  }
  return true;
}
