// Grouped 2-D convolution kernels on oneDNN (native/grouped_conv.cc): NHWC x, grouped HWIO filter
// [KH, KW, C/groups, OC] (output channel o reads the input channels of group o / (OC/groups)); groups
// = C with C/groups = 1 is the depthwise convolution. Explicit padding [top, bottom, left, right].
//   EvdmGroupedConv2D                {x, filter, bias?}  -> y
//   EvdmGroupedConv2DBackpropInput   {dy, filter}        -> dx   (attrs.inputShape)
//   EvdmGroupedConv2DBackpropFilter  {x, dy}             -> [dFilter] or [dFilter, dBias] (attrs.filterShape, attrs.bias)
// There is no stock kernel to fall back to: bad input throws an error naming the kernel and shapes.
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: Record<string, unknown> };
type Func = (args: Args) => TensorInfo | TensorInfo[];

/** Attributes shared by the three kernels. */
export interface GroupedConvAttrs {
  strides: [number, number];
  /** Explicit zero padding [top, bottom, left, right]. */
  pad: [number, number, number, number];
  groups: number;
}

const FWD = 'EvdmGroupedConv2D';
const BWD_INPUT = 'EvdmGroupedConv2DBackpropInput';
const BWD_FILTER = 'EvdmGroupedConv2DBackpropFilter';

const shapeOf = (t: TensorInfo | undefined) => (t ? `[${t.shape}]` : 'missing');

/** Checks the shapes of one grouped conv and returns the native parameter list. */
function plan(
  kernel: string,
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: GroupedConvAttrs,
  named: string,
): number[] {
  const fail = (why: string): never => {
    throw new Error(`${kernel}: ${why} (${named}; strides [${attrs.strides}], pad [${attrs.pad}], groups ${attrs.groups})`);
  };
  if (xShape.length !== 4) fail(`x must be NHWC rank 4, got rank ${xShape.length}`);
  if (wShape.length !== 4) fail(`filter must be grouped HWIO rank 4, got rank ${wShape.length}`);
  const [n, h, w, c] = xShape;
  const [kh, kw, ci, oc] = wShape;
  const g = attrs.groups;
  if (!Number.isInteger(g) || g < 1) fail(`groups must be a positive integer`);
  if (c % g !== 0 || oc % g !== 0) fail(`groups (${g}) must divide the input channels (${c}) and the output channels (${oc})`);
  if (ci * g !== c) fail(`filter input channels (${ci}) times groups (${g}) must equal the input channels (${c})`);
  const [sh, sw] = attrs.strides ?? [];
  const [pt, pb, pl, pr] = attrs.pad ?? [];
  if (![sh, sw].every((v) => Number.isInteger(v) && v >= 1)) fail('strides must be positive integers');
  if (![pt, pb, pl, pr].every((v) => Number.isInteger(v) && v >= 0)) fail('pad must be 4 non-negative integers');
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  if (n * h * w * c * kh * kw * oc === 0 || oh < 1 || ow < 1) fail('empty tensor or output');
  return [n, h, w, c, kh, kw, oc, oh, ow, sh, sw, pt, pl, pb, pr, g];
}

function requireF32(kernel: string, inputs: Record<string, TensorInfo | undefined>, names: string[]): void {
  for (const k of names) {
    const t = inputs[k];
    if (!t || t.dtype !== 'float32')
      throw new Error(`${kernel}: input '${k}' must be a float32 tensor, got ${t ? `${t.dtype} [${t.shape}]` : 'missing'}`);
  }
}

function forward(host: HostName): Func {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as GroupedConvAttrs;
    requireF32(FWD, inputs, inputs.bias ? ['x', 'filter', 'bias'] : ['x', 'filter']);
    const { x, filter, bias } = inputs as Record<string, TensorInfo>;
    const p = plan(FWD, x.shape, filter.shape, a, `x ${shapeOf(x)}, filter ${shapeOf(filter)}`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== p[6]))
      throw new Error(`${FWD}: bias must have shape [${p[6]}], got [${bias.shape}]`);
    const h = hostFor(host, backend);
    const y = h.alloc([p[0], p[7], p[8], p[6]]);
    nativeAddon().groupedConv(0, h.view(x), h.view(filter), bias ? h.view(bias) : null, h.view(y), p);
    return y;
  };
}

function backpropInput(host: HostName): Func {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as GroupedConvAttrs & { inputShape: number[] };
    requireF32(BWD_INPUT, inputs, ['dy', 'filter']);
    const { dy, filter } = inputs as Record<string, TensorInfo>;
    const p = plan(
      BWD_INPUT,
      a.inputShape ?? [],
      filter.shape,
      a,
      `inputShape [${a.inputShape}], dy ${shapeOf(dy)}, filter ${shapeOf(filter)}`,
    );
    if (!util.arraysEqual(dy.shape, [p[0], p[7], p[8], p[6]]))
      throw new Error(`${BWD_INPUT}: dy must have shape [${[p[0], p[7], p[8], p[6]]}], got [${dy.shape}]`);
    const h = hostFor(host, backend);
    const dx = h.alloc([...a.inputShape]);
    nativeAddon().groupedConv(1, h.view(dy), h.view(filter), null, h.view(dx), p);
    return dx;
  };
}

function backpropFilter(host: HostName): Func {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as GroupedConvAttrs & { filterShape: number[]; bias?: boolean };
    requireF32(BWD_FILTER, inputs, ['x', 'dy']);
    const { x, dy } = inputs as Record<string, TensorInfo>;
    const p = plan(
      BWD_FILTER,
      x.shape,
      a.filterShape ?? [],
      a,
      `x ${shapeOf(x)}, dy ${shapeOf(dy)}, filterShape [${a.filterShape}]`,
    );
    if (!util.arraysEqual(dy.shape, [p[0], p[7], p[8], p[6]]))
      throw new Error(`${BWD_FILTER}: dy must have shape [${[p[0], p[7], p[8], p[6]]}], got [${dy.shape}]`);
    const h = hostFor(host, backend);
    const dw = h.alloc([...a.filterShape]);
    const db = a.bias ? h.alloc([p[6]]) : null;
    nativeAddon().groupedConv(2, h.view(x), h.view(dy), db ? h.view(db) : null, h.view(dw), p);
    return db ? [dw, db] : [dw];
  };
}

/** Kernel name → kernel function for `host`. */
export function groupedConvKernels(host: HostName): Array<[string, Func]> {
  return [
    [FWD, forward(host)],
    [BWD_INPUT, backpropInput(host)],
    [BWD_FILTER, backpropFilter(host)],
  ];
}
