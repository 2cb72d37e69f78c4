// Optimiser kernels for both hosts, each one pass over memory into outputs from the host allocator:
// EvdmAdam (the Adam step), EvdmEma (the EMA update), EvdmSumOfSquares (the squared global gradient
// norm of any number of tensors in one call). Used by evdm's Adam and @evdm/diffusion's Ema when
// registered; elsewhere they run as composed TF.js ops.
import { util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };
type Func = (args: Args) => TensorInfo | TensorInfo[];

const describe = (t: TensorInfo | undefined) => (t ? `${t.dtype} [${t.shape}]` : 'missing');

/** Attributes of `EvdmAdam` (see the AdamConfig of evdm): lrOverBc1 = lr / (1 − β1^t), bc2 = 1 − β2^t. */
export interface AdamAttrs {
  beta1: number;
  beta2: number;
  lrOverBc1: number;
  bc2: number;
  eps: number;
  /** Gradient scale from global-norm clipping (1 = none). */
  clip: number;
}

/**
 * `EvdmAdam`: inputs {param, grad, m, v}, outputs [param', m', v'] of one Adam step in one pass over
 * memory (the composed update reads and writes every parameter-sized tensor ~14 times).
 */
function adamUpdate(host: HostName): Func {
  return (args) => {
    const { param, grad, m, v } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as AdamAttrs;
    for (const [name, t] of [
      ['param', param],
      ['grad', grad],
      ['m', m],
      ['v', v],
    ] as const) {
      if (!t || t.dtype !== 'float32' || !util.arraysEqual(t.shape, param.shape)) {
        throw new Error(
          `@evdm/backend-native: EvdmAdam needs float32 param, grad, m, v of one shape; ${name} is ${describe(t)} (param [${param?.shape}])`,
        );
      }
    }
    const h = hostFor(host, args.backend);
    const outs = [h.alloc([...param.shape]), h.alloc([...param.shape]), h.alloc([...param.shape])];
    if (util.sizeFromShape(param.shape) > 0) {
      nativeAddon().adam(
        h.view(param),
        h.view(grad),
        h.view(m),
        h.view(v),
        h.view(outs[0]),
        h.view(outs[1]),
        h.view(outs[2]),
        a.beta1,
        a.beta2,
        a.lrOverBc1,
        a.bc2,
        a.eps,
        a.clip,
      );
    }
    return outs;
  };
}

/** `EvdmEma`: inputs {shadow, x}, attrs {rate}; output shadow·rate + x·(1 − rate). */
function emaUpdate(host: HostName): Func {
  return (args) => {
    const { shadow, x } = args.inputs;
    const rate = (args.attrs as { rate?: unknown } | undefined)?.rate;
    if (!shadow || !x || shadow.dtype !== 'float32' || x.dtype !== 'float32' || !util.arraysEqual(shadow.shape, x.shape)) {
      throw new Error(
        `@evdm/backend-native: EvdmEma needs float32 shadow and x of one shape, got shadow ${describe(shadow)}, x ${describe(x)}`,
      );
    }
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new Error(`@evdm/backend-native: EvdmEma needs a rate in [0, 1), got ${String(rate)}`);
    }
    const h = hostFor(host, args.backend);
    const out = h.alloc([...shadow.shape]);
    if (util.sizeFromShape(shadow.shape) > 0) nativeAddon().ema!(h.view(shadow), h.view(x), h.view(out), rate);
    return out;
  };
}

/** `EvdmSumOfSquares`: inputs {0, 1, ...} (any shapes); output the scalar Σ x² over all of them (double sum). */
function sumOfSquares(host: HostName): Func {
  return (args) => {
    const xs = Object.keys(args.inputs)
      .sort((a, b) => Number(a) - Number(b))
      .map((key) => {
        const t = args.inputs[key];
        if (!t || t.dtype !== 'float32') {
          throw new Error(`@evdm/backend-native: EvdmSumOfSquares needs float32 inputs; input ${key} is ${describe(t)}`);
        }
        return t;
      });
    const h = hostFor(host, args.backend);
    const out = h.alloc([]);
    const views = xs.filter((t) => util.sizeFromShape(t.shape) > 0).map((t) => h.view(t));
    // views after the allocation: a growing wasm heap would detach earlier ones
    h.view(out)[0] = nativeAddon().sumSquares!(views);
    return out;
  };
}

/** [kernel name, kernel] for the optimiser kernels this addon has (an older prebuilt binary may lack some). */
export function optimizerKernels(host: HostName): [string, Func][] {
  const a = nativeAddon();
  return [
    ['EvdmAdam', adamUpdate(host)],
    ...(typeof a.ema === 'function' ? [['EvdmEma', emaUpdate(host)] as [string, Func]] : []),
    ...(typeof a.sumSquares === 'function' ? [['EvdmSumOfSquares', sumOfSquares(host)] as [string, Func]] : []),
  ];
}
