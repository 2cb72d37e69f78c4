// Native kernel configs for the wasm and cpu backends. Each wraps the kernel it replaces: shapes,
// dtypes or attributes oneDNN does not take (NCHW, prelu, empty tensors, incompatible batch
// broadcasting, configurations without a oneDNN implementation) run the replaced kernel instead.
import {
  backend_util,
  broadcast_util,
  getKernel,
  registerKernel,
  unregisterKernel,
  util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon';
import { channelGatherBackward, channelGatherForward } from './channel-gather';
import { seededDropoutKernel, seededDropoutNative } from './seeded-dropout';
import { CPU_KERNELS } from './cpu-kernels';
import { optimizerKernels } from './optimizer-kernels';
import { groupedConvKernels } from './grouped-conv';
import { favorAttentionKernels } from './favor-attention';
import { hostFor, nativeEligible, type HostName } from './host';
import { convParams, withOutput, type ConvAttrs } from './conv-util';
import { conv2dGradKernel } from './conv-grad';
import { denseGradKernel } from './dense-grad';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };
type Func = (args: Args) => TensorInfo | TensorInfo[];

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5 };

/** Names of the kernels replaced or added by registerNativeKernels on both hosts (the cpu host also gets the CPU_KERNELS). */
export const NATIVE_KERNEL_NAMES = [
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'FusedConv2D',
  'BatchMatMul',
  '_FusedMatMul',
  'EvdmGroupNorm',
  'EvdmGroupNormGrad',
  'EvdmAdam',
  'EvdmEma',
  'EvdmSumOfSquares',
  'EvdmChannelGather',
  'EvdmChannelGatherGrad',
  'EvdmGroupedConv2D',
  'EvdmGroupedConv2DBackpropInput',
  'EvdmGroupedConv2DBackpropFilter',
  'EvdmSeededDropout',
  'EvdmFavorAttention',
  'EvdmFavorAttentionGrad',
  'EvdmConv2DGrad',
  'EvdmDenseGrad',
] as const;

function conv2dLike(host: HostName, fallback: Func | null, kind: 'Conv2D' | 'FusedConv2D'): Func {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const act = ACTIVATIONS[attrs.activation ?? 'linear'];
    const ok =
      x &&
      filter &&
      nativeEligible(x, filter, bias) &&
      attrs.dataFormat !== 'NCHW' &&
      act !== undefined &&
      !preluActivationWeights &&
      x.shape.length === 4 &&
      filter.shape.length === 4;
    if (ok) {
      const info = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations ?? 1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      if ((!bias || util.sizeFromShape(bias.shape) === info.outChannels) && util.sizeFromShape(info.outShape) > 0) {
        const h = hostFor(host, args.backend);
        const out = withOutput(h, args.backend, info.outShape, (o) =>
          nativeAddon().conv(
            0,
            h.view(x),
            h.view(filter),
            bias ? h.view(bias) : null,
            h.view(o),
            convParams(info, act),
            attrs.leakyreluAlpha ?? 0.2,
          ),
        );
        if (out) return out;
      }
    }
    if (!fallback)
      throw new Error(`@evdm/backend-native: ${kind} on ${host}: this configuration needs the stock kernel, which is missing`);
    return fallback(args);
  };
}

function conv2dBackpropInput(host: HostName, fallback: Func | null): Func {
  return (args) => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    if (dy && filter && nativeEligible(dy, filter) && attrs.dataFormat !== 'NCHW' && util.sizeFromShape(attrs.inputShape) > 0) {
      const info = backend_util.computeConv2DInfo(
        attrs.inputShape,
        filter.shape as [number, number, number, number],
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const h = hostFor(host, args.backend);
      const out = withOutput(h, args.backend, attrs.inputShape, (o) =>
        nativeAddon().conv(1, h.view(dy), h.view(filter), null, h.view(o), convParams(info, 0)),
      );
      if (out) return out;
    }
    if (!fallback)
      throw new Error(
        `@evdm/backend-native: Conv2DBackpropInput on ${host}: this configuration needs the stock kernel, which is missing`,
      );
    return fallback(args);
  };
}

function conv2dBackpropFilter(host: HostName, fallback: Func | null): Func {
  return (args) => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    if (x && dy && nativeEligible(x, dy) && attrs.dataFormat !== 'NCHW' && util.sizeFromShape(attrs.filterShape) > 0) {
      const info = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const h = hostFor(host, args.backend);
      const out = withOutput(h, args.backend, attrs.filterShape, (o) =>
        nativeAddon().conv(2, h.view(x), h.view(dy), null, h.view(o), convParams(info, 0)),
      );
      if (out) return out;
    }
    if (!fallback)
      throw new Error(
        `@evdm/backend-native: Conv2DBackpropFilter on ${host}: this configuration needs the stock kernel, which is missing`,
      );
    return fallback(args);
  };
}

function matMulLike(host: HostName, fallback: Func | null, kind: string): Func {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const attrs = (args.attrs ?? {}) as {
      transposeA?: boolean;
      transposeB?: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    const act = ACTIVATIONS[attrs.activation ?? 'linear'];
    if (
      a &&
      b &&
      nativeEligible(a, b, bias) &&
      act !== undefined &&
      !preluActivationWeights &&
      a.shape.length >= 2 &&
      b.shape.length >= 2
    ) {
      const ta = !!attrs.transposeA;
      const tb = !!attrs.transposeB;
      const ra = a.shape.length;
      const rb = b.shape.length;
      const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
      const k2 = tb ? b.shape[rb - 1] : b.shape[rb - 2];
      const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
      const batchA = a.shape.slice(0, -2);
      const batchB = b.shape.slice(0, -2);
      const sizeA = util.sizeFromShape(batchA);
      const sizeB = util.sizeFromShape(batchB);
      if (k === k2) {
        const outBatch = broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
        const sizeO = util.sizeFromShape(outBatch);
        const simple = (sizeA === sizeO || sizeA === 1) && (sizeB === sizeO || sizeB === 1);
        if (simple && (!bias || util.sizeFromShape(bias.shape) === n) && sizeO * m * n > 0) {
          const h = hostFor(host, args.backend);
          const out = withOutput(h, args.backend, [...outBatch, m, n], (o) =>
            nativeAddon().matmul(
              h.view(a),
              h.view(b),
              bias ? h.view(bias) : null,
              h.view(o),
              [sizeA, sizeB, m, k, n, ta ? 1 : 0, tb ? 1 : 0, act],
              attrs.leakyreluAlpha ?? 0.2,
            ),
          );
          if (out) return out;
        }
      }
    }
    if (!fallback)
      throw new Error(`@evdm/backend-native: ${kind} on ${host}: this configuration needs the stock kernel, which is missing`);
    return fallback(args);
  };
}

interface GnAttrs {
  groups: number;
  eps: number;
  /** 0 none, 1 SiLU, 2 ReLU */
  activation: number;
  /** normalise x's channels [channelStart, C) (whole groups; `groups` counts over all C); absent: 0 */
  channelStart?: number;
}

const OPTIONAL = ['gamma', 'beta', 'scale', 'shift'] as const;

/** The four optional inputs in the addon's order; a `[B, 2C]` modulation takes the scale slot (packed). */
function gnOptional(args: { inputs: Record<string, TensorInfo | undefined> }): {
  opt: (TensorInfo | undefined)[];
  packed: boolean;
} {
  const m = args.inputs.modulation;
  if (m) return { opt: [args.inputs.gamma, args.inputs.beta, m, undefined], packed: true };
  return { opt: OPTIONAL.map((k) => args.inputs[k]), packed: false };
}

/** The addon's `[B, S, C, G, act, packed, Cx, start]`: the window `[start, Cx)` of x's Cx channels, its G groups. */
function gnParams(kernel: string, x: TensorInfo, attrs: GnAttrs, packed: boolean): number[] {
  const s = x.shape;
  const cx = s[s.length - 1];
  const start = attrs.channelStart ?? 0;
  const per = cx / attrs.groups;
  if (!Number.isInteger(start) || start < 0 || start >= cx || start % per !== 0)
    throw new Error(
      `@evdm/backend-native: ${kernel}: channelStart ${start} must be a whole number of groups (${per} channels each) below x's ${cx} channels (x [${s}], groups ${attrs.groups})`,
    );
  const c = cx - start;
  const groups = attrs.groups - start / (cx / attrs.groups);
  return [s[0], s.slice(1, -1).reduce((a, v) => a * v, 1), c, groups, attrs.activation, packed ? 1 : 0, cx, start];
}

function groupNormForward(host: HostName): Func {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as unknown as GnAttrs;
    const h = hostFor(host, args.backend);
    const { opt, packed } = gnOptional(args as { inputs: Record<string, TensorInfo | undefined> });
    const params = gnParams('EvdmGroupNorm', x, attrs, packed);
    const y = h.alloc([...x.shape.slice(0, -1), params[2]]);
    nativeAddon().groupNormForward(
      h.view(x),
      ...(opt.map((t) => (t ? h.view(t) : null)) as [null, null, null, null]),
      h.view(y),
      params,
      attrs.eps,
    );
    return y;
  };
}

function groupNormBackward(host: HostName): Func {
  return (args) => {
    const { dy, x } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as unknown as GnAttrs;
    const h = hostFor(host, args.backend);
    const { opt, packed } = gnOptional(args as { inputs: Record<string, TensorInfo | undefined> });
    const params = gnParams('EvdmGroupNormGrad', x, attrs, packed);
    const dx = h.alloc([...x.shape]);
    const grads = opt.map((t) => (t ? h.alloc([...t.shape]) : null));
    const v = (t: TensorInfo | null | undefined) => (t ? h.view(t) : null);
    nativeAddon().groupNormBackward(
      h.view(dy),
      h.view(x),
      v(opt[0]),
      v(opt[1]),
      v(opt[2]),
      v(opt[3]),
      h.view(dx),
      v(grads[0]),
      v(grads[1]),
      v(grads[2]),
      v(grads[3]),
      params,
      attrs.eps,
    );
    return [dx, ...(grads.filter((g) => g !== null) as TensorInfo[])];
  };
}

function configsFor(host: HostName, stock: (name: string) => Func | null): KernelConfig[] {
  const cfg = (kernelName: string, f: Func): KernelConfig => ({
    kernelName,
    backendName: host,
    kernelFunc: f as unknown as KernelFunc,
  });
  return [
    cfg('Conv2D', conv2dLike(host, stock('Conv2D'), 'Conv2D')),
    cfg('FusedConv2D', conv2dLike(host, stock('FusedConv2D'), 'FusedConv2D')),
    cfg('Conv2DBackpropInput', conv2dBackpropInput(host, stock('Conv2DBackpropInput'))),
    cfg('Conv2DBackpropFilter', conv2dBackpropFilter(host, stock('Conv2DBackpropFilter'))),
    cfg(
      'EvdmConv2DGrad',
      conv2dGradKernel(
        host,
        conv2dBackpropInput(host, stock('Conv2DBackpropInput')),
        conv2dBackpropFilter(host, stock('Conv2DBackpropFilter')),
      ),
    ),
    cfg('BatchMatMul', matMulLike(host, stock('BatchMatMul'), 'BatchMatMul')),
    cfg('_FusedMatMul', matMulLike(host, stock('_FusedMatMul'), '_FusedMatMul')),
    cfg('EvdmDenseGrad', denseGradKernel(host, matMulLike(host, stock('BatchMatMul'), 'BatchMatMul'))),
    cfg('EvdmGroupNorm', groupNormForward(host)),
    cfg('EvdmGroupNormGrad', groupNormBackward(host)),
    ...optimizerKernels(host).map(([name, f]) => cfg(name, f)),
    cfg('EvdmChannelGather', channelGatherForward(host) as unknown as Func),
    cfg('EvdmChannelGatherGrad', channelGatherBackward(host) as unknown as Func),
    ...(seededDropoutNative() ? [cfg('EvdmSeededDropout', seededDropoutKernel(host) as unknown as Func)] : []),
    ...groupedConvKernels(host).map(([name, f]) => cfg(name, f as Func)),
    ...favorAttentionKernels(host).map(([name, f]) => cfg(name, f as Func)),
    ...(host === 'cpu'
      ? CPU_KERNELS.filter(([name]) => stock(name) !== null).map(([name, make]) =>
          cfg(name, make(stock(name) as never) as unknown as Func),
        )
      : []),
  ];
}

/**
 * Per backend: the configs we replaced (undefined = the kernel did not exist) and ours. Kept on
 * globalThis so the ESM and CJS builds of this package (both can load in one process, e.g. evdm
 * requires it while user code imports it) share one registry and either can unregister.
 */
interface RegistryState {
  replaced: Map<HostName, Map<string, KernelConfig | undefined>>;
  ours: Set<unknown>;
}
const STATE_KEY = Symbol.for('@evdm/backend-native/kernel-registry');
const registry = ((globalThis as Record<symbol, RegistryState | undefined>)[STATE_KEY] ??= {
  replaced: new Map(),
  ours: new Set(),
});
const { replaced, ours } = registry;

/**
 * Registers the native kernels on `backend` ('wasm' or 'cpu'), replacing whatever is registered
 * under those names (the stock kernels or evdm's wasm training kernels; they stay the fallback
 * and come back on unregister). Idempotent. Throws if the addon is not loaded.
 */
export function registerNativeKernels(backend: HostName): string[] {
  if (backend !== 'wasm' && backend !== 'cpu')
    throw new Error(`@evdm/backend-native: backend must be 'wasm' or 'cpu', got '${String(backend)}'`);
  nativeAddon();
  let saved = replaced.get(backend);
  if (!saved) replaced.set(backend, (saved = new Map()));
  const savedMap = saved;
  const stock = (name: string): Func | null => {
    const prev = savedMap.has(name) ? savedMap.get(name) : getKernel(name, backend);
    return prev && !ours.has(prev.kernelFunc) ? (prev.kernelFunc as unknown as Func) : null;
  };
  for (const config of configsFor(backend, stock)) {
    const current = getKernel(config.kernelName, backend);
    if (current && ours.has(current.kernelFunc)) continue;
    savedMap.set(config.kernelName, current);
    if (current) unregisterKernel(config.kernelName, backend);
    ours.add(config.kernelFunc);
    registerKernel(config);
  }
  return [...savedMap.keys()];
}

/** Restores the kernels registerNativeKernels replaced, on every backend; returns the names restored. */
export function unregisterNativeKernels(): string[] {
  const names = new Set<string>();
  for (const [backend, saved] of replaced) {
    for (const [name, prev] of saved) {
      const current = getKernel(name, backend);
      if (current && ours.has(current.kernelFunc)) unregisterKernel(name, backend);
      if (prev && getKernel(name, backend) == null) registerKernel(prev);
      names.add(name);
    }
  }
  replaced.clear();
  ours.clear();
  return [...names];
}

/** Whether the native kernels are registered on `backend`. */
export function nativeKernelsActive(backend: HostName): boolean {
  const k = getKernel('Conv2D', backend);
  return k != null && ours.has(k.kernelFunc);
}
