import * as tf from '@tensorflow/tfjs-core';
import { Rng, type ParamStore } from '@evdm/core';
import type { DenoisingUNet } from '../models/unet';

/** Multiply-adds of the kernels that actually ran in one forward pass, from `tf.profile` records. */
export interface ExecutedFlops {
  batch: number;
  /** Conv2D / FusedConv2D MACs (out elements × kh·kw·Cin of the executed kernel). */
  conv: number;
  /** Depthwise convolutions (FIR resampling filters when expressed as convs; not in fvcore's count). */
  depthwise: number;
  /** BatchMatMul / _FusedMatMul / EvdmFavorAttention MACs (attention products, FAVOR+ features, linear layers). */
  matmul: number;
  /** Kernels executed and their count by name. */
  kernels: Record<string, number>;
}

const CONV = new Set(['Conv2D', 'FusedConv2D']);
const DEPTHWISE = new Set(['DepthwiseConv2dNative', 'FusedDepthwiseConv2D']);
const MATMUL = new Set(['BatchMatMul', '_FusedMatMul']);
/** @evdm/backend-native's grouped conv: a conv when groups < channels, the FIR filters when depthwise. */
const GROUPED = 'EvdmGroupedConv2D';
/** FAVOR+ over packed heads (q, k, v, projection [m, d]): the products the composed path runs as matmuls. */
const FAVOR = 'EvdmFavorAttention';

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Runs one forward pass at `batch` under `tf.profile` and sums the multiply-adds of every conv and
 * matmul kernel from its recorded shapes. This counts what executes (e.g. a grouped conv run as a
 * block-diagonal dense conv counts its zero blocks), to cross-check the layers' analytic counts
 * (`profileNetwork`), which follow the paper's fvcore convention.
 */
export async function measureExecutedFlops(
  net: DenoisingUNet,
  params: ParamStore,
  { batch = 1, seed = 0 } = {},
): Promise<ExecutedFlops> {
  const cfg = net.config;
  const rng = new Rng(seed);
  const s = cfg.imageSize;
  const cx = cfg.currentFrames * cfg.imageChannels;
  const cc = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
  const xt = tf.tensor4d(rng.normalArray(batch * s * s * cx), [batch, s, s, cx]);
  const cond = cc > 0 ? tf.tensor4d(rng.normalArray(batch * s * s * cc), [batch, s, s, cc]) : null;
  const out: ExecutedFlops = { batch, conv: 0, depthwise: 0, matmul: 0, kernels: {} };
  try {
    const info = await tf.profile(() => net.apply(params.read, xt, new Array(batch).fill(500), cond));
    for (const k of info.kernels) {
      out.kernels[k.name] = (out.kernels[k.name] ?? 0) + 1;
      const ins = k.inputShapes as number[][];
      const outs = k.outputShapes as number[][];
      if (CONV.has(k.name)) {
        const [kh, kw, cin] = ins[1];
        out.conv += prod(outs[0]) * kh * kw * cin;
      } else if (k.name === GROUPED) {
        // filter [kh, kw, C/groups, OC]: one input channel per group with OC = C is depthwise
        const [kh, kw, cinPerGroup, oc] = ins[1];
        if (cinPerGroup === 1 && oc === ins[0][3]) out.depthwise += prod(outs[0]) * kh * kw;
        else out.conv += prod(outs[0]) * kh * kw * cinPerGroup;
      } else if (DEPTHWISE.has(k.name)) {
        const [kh, kw] = ins[1];
        out.depthwise += prod(outs[0]) * kh * kw;
      } else if (k.name === FAVOR) {
        // per (batch, head) slice: q and k features L·m·d each, K'ᵀV and Q'(K'ᵀV) L·m·dv each, Q'(K'ᵀ1) L·m
        const [b, l, cq] = ins[0];
        const [m, d] = ins[3];
        const heads = cq / d;
        const dv = ins[2][2] / heads;
        out.matmul += b * heads * l * m * (2 * d + 2 * dv + 1);
      } else if (MATMUL.has(k.name)) {
        // [..., M, N] output; the shared dimension is the one of `a` that is not M (transposes).
        const a = ins[0];
        const o = outs[0];
        const m = o[o.length - 2];
        const inner = a[a.length - 1] === m && a[a.length - 2] !== m ? a[a.length - 2] : a[a.length - 1];
        out.matmul += prod(o) * inner;
      }
    }
    tf.dispose(info.result as tf.Tensor);
    return out;
  } finally {
    tf.dispose([xt, ...(cond ? [cond] : [])]);
  }
}
