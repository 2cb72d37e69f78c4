import { groupNormFlops, type FlopEntry } from '@evdm/core';

/**
 * How the FAVOR+ core is counted.
 * - `executed` (default): the matmuls this package runs, `4·L·m·d + L·m` MACs per token-head
 *   (two feature projections, `K'^T V`, `Q'(K'^T V)`, normaliser `Q'(K'^T 1)`); the exps,
 *   sums and the division are elementwise and, as in fvcore, not counted.
 * - `performer-einsum`: performer-pytorch's einsums as fvcore counts them, `4·L·m·d + 1.5·L·m`
 *   (the 3-operand output einsum multiplies `Q'` by `D^-1` first: 0.5·L·m).
 * - `paper-fit`: `4·L·m·d + 2·L·d`, the core cost that reproduces the paper's Table 1 attention
 *   column within its rounding (docs/EVDM reconstruction §5; no implementation is known to give it).
 */
export type FavorCoreCount = 'executed' | 'performer-einsum' | 'paper-fit';

export interface AttentionFlopOptions {
  favorCore?: FavorCoreCount;
  /**
   * Emulate fvcore's einsum counting: it parses numpy's `einsum_path` report, whose FLOP count is
   * printed with 4 significant digits (`%.3e`) and halved to MACs. The MCVD attention figures of
   * the paper (KTH 106.49 / 23.63 / 10.5) carry this rounding. Default false (exact MACs).
   */
  fvcoreRounding?: boolean;
}

export interface AttentionShape {
  name: string;
  batch: number;
  height: number;
  width: number;
  channels: number;
  heads: number;
  /** FAVOR+ features m (ignored when `favor` is false). */
  features: number;
  favor: boolean;
}

/** fvcore's einsum count for a contraction of `macs` multiply-adds: `floor(%.3e(2·macs) / 2)`. */
export function fvcoreEinsumMacs(macs: number): number {
  return Math.floor(Number((2 * macs).toExponential(3)) / 2);
}

/**
 * Forward FLOPs of one attention block in the fvcore convention (1 MAC = 1 FLOP, no biases):
 * affine GroupNorm `5·N`, the four per-pixel projections `B·L·C²` each, then either the softmax
 * core (`QK^T` and `AV`, `B·heads·L²·d` each) or the FAVOR+ core (see {@link FavorCoreCount}).
 * Softmax and elementwise ops count 0, as in fvcore.
 */
export function attentionFlops(s: AttentionShape, opts: AttentionFlopOptions = {}): FlopEntry[] {
  const { name, batch: b, height, width, channels: c, heads: h } = s;
  const l = height * width;
  const d = c / h;
  const m = s.features;
  const mac = opts.fvcoreRounding ? fvcoreEinsumMacs : (x: number) => x;
  const entries: FlopEntry[] = [{ name: `${name}/norm`, kind: 'norm', flops: groupNormFlops(b * l * c, true) }];
  for (const p of ['q', 'k', 'v']) entries.push({ name: `${name}/${p}`, kind: 'attention', flops: mac(b * l * c * c) });
  const n = b * h; // batch · heads slices
  if (!s.favor) {
    entries.push({ name: `${name}/softmax/scores`, kind: 'attention', flops: mac(n * l * l * d) });
    entries.push({ name: `${name}/softmax/mix`, kind: 'attention', flops: mac(n * l * l * d) });
  } else {
    const core = opts.favorCore ?? 'executed';
    entries.push({ name: `${name}/favor/query-features`, kind: 'attention', flops: mac(n * l * m * d) });
    entries.push({ name: `${name}/favor/key-features`, kind: 'attention', flops: mac(n * l * m * d) });
    entries.push({ name: `${name}/favor/context`, kind: 'attention', flops: mac(n * l * m * d) });
    if (core === 'executed') {
      entries.push({ name: `${name}/favor/output`, kind: 'attention', flops: mac(n * l * m * d) });
      entries.push({ name: `${name}/favor/normalizer`, kind: 'attention', flops: mac(n * l * m) });
    } else if (core === 'performer-einsum') {
      entries.push({ name: `${name}/favor/normalizer`, kind: 'attention', flops: mac(n * l * m) });
      // one 3-operand einsum: (Q'·D^-1) elementwise counts L·m/2, then the contraction L·m·d
      entries.push({ name: `${name}/favor/output`, kind: 'attention', flops: mac(n * l * m * d + 0.5 * n * l * m) });
    } else if (core === 'paper-fit') {
      entries.push({ name: `${name}/favor/output`, kind: 'attention', flops: mac(n * l * m * d) });
      entries.push({ name: `${name}/favor/paper-fit-extra`, kind: 'attention', flops: 2 * n * l * d });
    } else {
      throw new Error(`attentionFlops: favorCore must be 'executed', 'performer-einsum' or 'paper-fit', got ${String(core)}`);
    }
  }
  entries.push({ name: `${name}/out`, kind: 'attention', flops: mac(b * l * c * c) });
  return entries;
}
