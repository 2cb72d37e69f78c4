// Slice for wasm. The stock kernel handles contiguous slices and ranks 2-4 well, but slices of rank 5+
// fall back to tfjs's generic per-element TensorBuffer path (~10 ms for 256k elements). The FIR
// up/down-sampling of every U-Net level slices rank-5 views, which made it ~90% of a forward pass.
// Unpack and SplitV (the gradients of Pack and Concat) slice the same way internally. Here any rank
// is copied as runs of contiguous elements.
import {
  backend_util,
  Slice,
  SplitV,
  slice_util,
  Unpack,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { runWasm, type WasmBackendLike } from './wasm-calls';

/** Runs shorter than this are copied element by element (cheaper than subarray + set). */
const SHORT_RUN = 32;

/** Copies x[begin : begin + size] into a new tensor of shape `outShape` (same element count). */
function sliceInto(backend: WasmBackendLike, x: TensorInfo, begin: number[], size: number[], outShape: number[]): TensorInfo {
  const rank = x.shape.length;
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(size) === 0) return out;
  // Views after makeOutput: allocation may grow (and detach) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = util.computeStrides(x.shape);
  // Innermost axis that is not taken whole: everything inside it is one contiguous run.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === x.shape[inner]) inner--;
  const innerStride = inner === rank - 1 ? 1 : strides[inner];
  const run = size[inner] * innerStride;
  const idx = new Array<number>(inner).fill(0);
  let base = begin[inner] * innerStride;
  for (let a = 0; a < inner; a++) base += begin[a] * strides[a];
  let o = 0;
  for (;;) {
    let off = base;
    for (let a = 0; a < inner; a++) off += idx[a] * strides[a];
    if (run < SHORT_RUN) {
      for (let i = 0; i < run; i++) dst[o + i] = src[off + i];
    } else {
      dst.set(src.subarray(off, off + run), o);
    }
    o += run;
    let a = inner - 1;
    while (a >= 0 && ++idx[a] === size[a]) idx[a--] = 0;
    if (a < 0) break;
  }
  return out;
}

export function makeSliceWasm(stock: KernelConfig) {
  return function sliceWasm(args: {
    inputs: { x: TensorInfo };
    backend: WasmBackendLike;
    attrs: { begin: number | number[]; size: number | number[] };
  }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
    slice_util.assertParamsValid(x as never, begin, size);
    const rank = x.shape.length;
    if (x.dtype === 'string' || rank <= 1 || slice_util.isSliceContinous(x.shape, begin, size)) {
      return runWasm(backend, Slice, { x }, attrs, stock);
    }
    return sliceInto(backend, x, begin, size, size);
  };
}

export function sliceConfig(stock: KernelConfig): KernelConfig {
  return {
    kernelName: Slice,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    kernelFunc: makeSliceWasm(stock) as unknown as KernelFunc,
  };
}

/** Unpack (gradient of Pack / stack): one slice per index along `axis`. */
function unpackWasm(args: { inputs: { value: TensorInfo }; backend: WasmBackendLike; attrs: { axis: number } }): TensorInfo[] {
  const { value: x } = args.inputs;
  if (x.dtype === 'string') throw new Error('evdm wasm Unpack: string tensors are not supported');
  const rank = x.shape.length;
  const axis = args.attrs.axis < 0 ? args.attrs.axis + rank : args.attrs.axis;
  const outShape = x.shape.filter((_, a) => a !== axis);
  const begin = new Array<number>(rank).fill(0);
  const size = [...x.shape];
  size[axis] = 1;
  const outs: TensorInfo[] = [];
  for (let i = 0; i < x.shape[axis]; i++) {
    begin[axis] = i;
    outs.push(sliceInto(args.backend, x, [...begin], size, outShape));
  }
  return outs;
}

/** SplitV (gradient of Concat, and tf.split): one slice per piece along `axis`. */
function splitVWasm(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackendLike;
  attrs: { numOrSizeSplits: number | number[]; axis: number | number[] };
}): TensorInfo[] {
  const { x } = args.inputs;
  if (x.dtype === 'string') throw new Error('evdm wasm SplitV: string tensors are not supported');
  const axis = util.parseAxisParam(args.attrs.axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as never, args.attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((n) => {
    const size = [...x.shape];
    size[axis] = n;
    const out = sliceInto(args.backend, x, [...begin], size, size);
    begin[axis] += n;
    return out;
  });
}

export function unpackConfig(): KernelConfig {
  return { kernelName: Unpack, backendName: 'wasm', kernelFunc: unpackWasm as unknown as KernelFunc };
}

export function splitVConfig(): KernelConfig {
  return { kernelName: SplitV, backendName: 'wasm', kernelFunc: splitVWasm as unknown as KernelFunc };
}
