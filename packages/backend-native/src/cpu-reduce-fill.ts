// cpu-host kernels that tfjs-backend-cpu runs as JS loops into fresh arrays: AddN (one blocked native
// pass), Max (native, any axes), and the fills ZerosLike / OnesLike / Fill (pooled output, native
// fill). Non-float32 tensors run the replaced kernel.
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon';
import { hostFor } from './host';
import { f32, inputList, stridesOf, type Func } from './cpu-util';

const shapes = (list: TensorInfo[]) => list.map((t) => `[${t.shape}]`).join(', ');

export function addN(fallback: Func): Func {
  return (args) => {
    const list = inputList(args);
    if (list.length === 0 || !list.every(f32)) return fallback(args);
    util.assert(
      list.every((t) => util.arraysEqual(t.shape, list[0].shape)),
      () => `@evdm/backend-native: AddN needs inputs of one shape, got ${shapes(list)}`,
    );
    const h = hostFor('cpu', args.backend);
    const out = h.alloc([...list[0].shape]);
    if (util.sizeFromShape(out.shape) > 0)
      nativeAddon().addN(
        list.map((t) => h.view(t)),
        h.view(out),
      );
    return out;
  };
}

export function max(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x) || util.sizeFromShape(x.shape) === 0) return fallback(args);
    const axes = util.parseAxisParam(args.attrs!.reductionIndices as number | number[], x.shape);
    const reduced = x.shape.map((_, k) => axes.includes(k));
    const kept = x.shape.map((d, k) => (reduced[k] ? 1 : d));
    const outShape = args.attrs!.keepDims ? kept : x.shape.filter((_, k) => !reduced[k]);
    const h = hostFor('cpu', args.backend);
    const out = h.alloc(outShape);
    // size-1 dims do not matter; the reduced ones left must be one contiguous run [lo, hi)
    const dims = x.shape.map((d, k) => ({ d, r: reduced[k], k })).filter((e) => e.d > 1);
    const lo = dims.findIndex((e) => e.r);
    const hi = lo < 0 ? lo : dims.length - [...dims].reverse().findIndex((e) => e.r);
    const prod = (es: { d: number }[]) => es.reduce((p, e) => p * e.d, 1);
    if (lo < 0 || dims.slice(lo, hi).every((e) => e.r)) {
      const [outer, red, inner] =
        lo < 0 ? [prod(dims), 1, 1] : [prod(dims.slice(0, lo)), prod(dims.slice(lo, hi)), prod(dims.slice(hi))];
      nativeAddon().max(h.view(x), outer, red, inner, h.view(out));
      return out;
    }
    // scattered axes: move them last (native transpose into a pooled temporary), then reduce rows
    const perm = [...dims.filter((e) => !e.r), ...dims.filter((e) => e.r)];
    const tmp = h.alloc(perm.map((e) => e.d));
    const xs = stridesOf(x.shape);
    nativeAddon().copy(
      h.view(x),
      0,
      perm.map((e) => xs[e.k]),
      h.view(tmp),
      0,
      stridesOf(tmp.shape),
      tmp.shape,
    );
    try {
      nativeAddon().max(h.view(tmp), prod(perm.filter((e) => !e.r)), prod(perm.filter((e) => e.r)), 1, h.view(out));
    } finally {
      (args.backend as { disposeData(id: object): void }).disposeData(tmp.dataId);
    }
    return out;
  };
}

export function zerosLike(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!f32(x)) return fallback(args);
    // fresh arrays are zero already; a recycled one is cleared
    return hostFor('cpu', args.backend).alloc([...x.shape], true);
  };
}

function filled(backend: unknown, shape: number[], value: number): TensorInfo {
  const h = hostFor('cpu', backend);
  const out = h.alloc(shape);
  if (util.sizeFromShape(shape) > 0) nativeAddon().fill(h.view(out), value);
  return out;
}

export function onesLike(fallback: Func): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    return f32(x) ? filled(args.backend, [...x.shape], 1) : fallback(args);
  };
}

export function fill(fallback: Func): Func {
  return (args) => {
    const { shape, value, dtype } = args.attrs as { shape: number[]; value: number | string; dtype?: string };
    if ((dtype ?? 'float32') !== 'float32' || typeof value !== 'number') return fallback(args);
    util.assert(
      Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0),
      () => `@evdm/backend-native: Fill needs a shape of non-negative integers, got [${shape}]`,
    );
    return filled(args.backend, [...shape], value);
  };
}
