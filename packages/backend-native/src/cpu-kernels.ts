// Native memory-bound kernels for the cpu host only (tfjs-backend-cpu runs them as per-element JS
// index arithmetic, which dominates a training step there; wasm already has C++ versions):
// Slice, SplitV, Unpack, Transpose, Tile, PadV2, Concat, broadcasting binary ops, unary ops, Sum, Softmax
// (and AddN, Max, ZerosLike, OnesLike, Fill from cpu-reduce-fill.ts).
// Non-float32 tensors run the replaced kernel.
import { backend_util, slice_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon';
import { hostFor, type Host } from './host';
import { addN, fill, max, onesLike, zerosLike } from './cpu-reduce-fill';
import { f32, stridesOf, type Func } from './cpu-util';

export type { Func } from './cpu-util';

/** Copies the block `size` at `begin` of x into a fresh contiguous tensor. */
function sliceInto(h: Host, x: TensorInfo, begin: number[], size: number[], outShape: number[] = size): TensorInfo {
  const out = h.alloc(outShape);
  if (util.sizeFromShape(size) === 0) return out;
  const xs = stridesOf(x.shape);
  const off = begin.reduce((a, b, k) => a + b * xs[k], 0);
  nativeAddon().copy(h.view(x), off, xs, h.view(out), 0, stridesOf(size), size);
  return out;
}

function slice(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    const [begin, size] = slice_util.parseSliceParams(x, args.attrs!.begin as number[], args.attrs!.size as number[]);
    return sliceInto(hostFor('cpu', args.backend), x, begin, size);
  };
}

function splitV(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    const axis = util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, args.attrs!.numOrSizeSplits as number[] | number, axis);
    const h = hostFor('cpu', args.backend);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const out = sliceInto(h, x, [...begin], size);
      begin[axis] += s;
      return out;
    });
  };
}

function unpack(fallback: Func): Func {
  return (args) => {
    const { value } = args.inputs as Record<string, TensorInfo>;
    if (!f32(value)) return fallback(args);
    const axis = util.parseAxisParam(args.attrs!.axis as number, value.shape)[0];
    const h = hostFor('cpu', args.backend);
    const size = [...value.shape];
    size[axis] = 1;
    const outShape = value.shape.filter((_, k) => k !== axis);
    const res: TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      const begin = new Array<number>(value.shape.length).fill(0);
      begin[axis] = i;
      res.push(sliceInto(h, value, begin, size, outShape));
    }
    return res;
  };
}

function transpose(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    const perm = args.attrs!.perm as number[];
    const h = hostFor('cpu', args.backend);
    const outShape = perm.map((p) => x.shape[p]);
    const out = h.alloc(outShape);
    if (util.sizeFromShape(outShape) === 0) return out;
    const xs = stridesOf(x.shape);
    nativeAddon().copy(
      h.view(x),
      0,
      perm.map((p) => xs[p]),
      h.view(out),
      0,
      stridesOf(outShape),
      outShape,
    );
    return out;
  };
}

/**
 * Tile as one strided copy: output axis k is split into (rep, dim) with the rep axis read at stride 0
 * (the stock cpu kernel computes an index per element in JS). Broadcasting (`tf.broadcastTo`) runs it.
 */
function tile(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    const reps = args.attrs!.reps as number[];
    if (!f32(x) || reps.length !== x.shape.length) return fallback(args);
    const xs = stridesOf(x.shape);
    const shape: number[] = [];
    const src: number[] = [];
    x.shape.forEach((d, k) => {
      if (reps[k] !== 1) {
        shape.push(reps[k]);
        src.push(0);
      }
      shape.push(d);
      src.push(xs[k]);
    });
    if (shape.length > 10) return fallback(args);
    const h = hostFor('cpu', args.backend);
    const out = h.alloc(x.shape.map((d, k) => d * reps[k]));
    if (util.sizeFromShape(shape) === 0) return out;
    nativeAddon().copy(h.view(x), 0, src, h.view(out), 0, stridesOf(shape), shape);
    return out;
  };
}

function padV2(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    const paddings = args.attrs!.paddings as [number, number][];
    const value = (args.attrs!.constantValue as number) ?? 0;
    const h = hostFor('cpu', args.backend);
    const outShape = x.shape.map((d, k) => paddings[k][0] + d + paddings[k][1]);
    const out = h.alloc(outShape);
    const ov = h.view(out);
    nativeAddon().fill(ov, value);
    if (util.sizeFromShape(x.shape) > 0) {
      const os = stridesOf(outShape);
      const off = paddings.reduce((a, p, k) => a + p[0] * os[k], 0);
      nativeAddon().copy(h.view(x), 0, stridesOf(x.shape), ov, off, os, x.shape);
    }
    return out;
  };
}

function concat(fallback: Func): Func {
  return (args) => {
    const list = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as TensorInfo[];
    if (list.length === 0 || !list.every(f32)) return fallback(args);
    const axis = util.parseAxisParam(args.attrs!.axis as number, list[0].shape)[0];
    const outShape = backend_util.computeOutShape(
      list.map((t) => t.shape),
      axis,
    );
    const h = hostFor('cpu', args.backend);
    const out = h.alloc(outShape);
    const ov = h.view(out);
    const os = stridesOf(outShape);
    let at = 0;
    for (const t of list) {
      if (util.sizeFromShape(t.shape) > 0) nativeAddon().copy(h.view(t), 0, stridesOf(t.shape), ov, at * os[axis], os, t.shape);
      at += t.shape[axis];
    }
    return out;
  };
}

const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };

function binary(name: string, fallback: Func): Func {
  const op = BINARY[name];
  return (args) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    if (!f32(a) || !f32(b)) return fallback(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const h = hostFor('cpu', args.backend);
    const out = h.alloc(outShape);
    if (util.sizeFromShape(outShape) === 0) return out;
    const bcast = (t: TensorInfo) => {
      const ts = stridesOf(t.shape);
      const lead = outShape.length - t.shape.length;
      return outShape.map((_, k) => (k < lead || t.shape[k - lead] === 1 ? 0 : ts[k - lead]));
    };
    nativeAddon().binary(op, h.view(a), bcast(a), h.view(b), bcast(b), h.view(out), outShape);
    return out;
  };
}

const UNARY: Record<string, number> = {
  Sqrt: 0,
  Square: 1,
  Relu: 2,
  Neg: 3,
  Exp: 4,
  Sigmoid: 5,
  Rsqrt: 6,
  Abs: 7,
  Floor: 8,
  Step: 9,
};

function unary(name: string, fallback: Func): Func {
  const op = UNARY[name];
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    const h = hostFor('cpu', args.backend);
    const out = h.alloc([...x.shape]);
    if (util.sizeFromShape(x.shape) > 0)
      nativeAddon().unary(op, h.view(x), h.view(out), (args.attrs?.alpha as number | undefined) ?? 0);
    return out;
  };
}

function sum(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    const axes = util.parseAxisParam(args.attrs!.axis as number | number[], x.shape);
    const keepDims = !!args.attrs!.keepDims;
    const kept = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
    const outShape = keepDims ? kept : x.shape.filter((_, k) => !axes.includes(k));
    const h = hostFor('cpu', args.backend);
    const out = h.alloc(outShape);
    const ks = stridesOf(kept);
    nativeAddon().sum(
      h.view(x),
      x.shape,
      kept.map((d, k) => (axes.includes(k) ? 0 : ks[k])),
      h.view(out),
    );
    return out;
  };
}

function softmax(fallback: Func): Func {
  return (args) => {
    const { logits } = args.inputs as Record<string, TensorInfo>;
    if (!f32(logits) || logits.shape.length === 0) return fallback(args);
    const dim = util.parseAxisParam(args.attrs!.dim as number, logits.shape)[0];
    if (dim !== logits.shape.length - 1) return fallback(args);
    const h = hostFor('cpu', args.backend);
    const out = h.alloc([...logits.shape]);
    const cols = logits.shape[dim];
    if (util.sizeFromShape(logits.shape) > 0) nativeAddon().softmax(h.view(logits), h.view(out), cols);
    return out;
  };
}

function pack(fallback: Func): Func {
  return (args) => {
    const list = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as TensorInfo[];
    if (list.length === 0 || !list.every(f32) || list.some((t) => !util.arraysEqual(t.shape, list[0].shape)))
      return fallback(args);
    const axis = util.parseAxisParam(args.attrs!.axis as number, [...list[0].shape, 1])[0];
    const outShape = [...list[0].shape.slice(0, axis), list.length, ...list[0].shape.slice(axis)];
    const h = hostFor('cpu', args.backend);
    const out = h.alloc(outShape);
    if (util.sizeFromShape(outShape) === 0) return out;
    const ov = h.view(out);
    const os = stridesOf(outShape);
    const dstStrides = os.filter((_, k) => k !== axis);
    list.forEach((t, i) => nativeAddon().copy(h.view(t), 0, stridesOf(t.shape), ov, i * os[axis], dstStrides, t.shape));
    return out;
  };
}

/** [kernelName, make(fallback)] for every cpu-host kernel. */
export const CPU_KERNELS: [string, (fallback: Func) => Func][] = [
  ['Slice', slice],
  ['SplitV', splitV],
  ['Unpack', unpack],
  ['Transpose', transpose],
  ['Tile', tile],
  ['PadV2', padV2],
  ['Concat', concat],
  ['Pack', pack],
  ['Sum', sum],
  ['Softmax', softmax],
  ['AddN', addN],
  ['Max', max],
  ['ZerosLike', zerosLike],
  ['OnesLike', onesLike],
  ['Fill', fill],
  ...Object.keys(BINARY).map((n): [string, (f: Func) => Func] => [n, (f) => binary(n, f)]),
  ...Object.keys(UNARY).map((n): [string, (f: Func) => Func] => [n, (f) => unary(n, f)]),
];
