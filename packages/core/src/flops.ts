/**
 * FLOP accounting in the convention of the paper's tables (fvcore, docs/mcvd-reference.md §12):
 * 1 multiply-accumulate = 1 FLOP, biases not counted, GroupNorm 5 per element with affine
 * parameters and 4 without, FIR resampling filters and per-block embedding Linears not counted.
 */
export type FlopKind = 'conv' | 'attention' | 'norm' | 'linear' | 'other';

export interface FlopEntry {
  /** Parameter-name prefix of the op (e.g. `down.0.res.0/conv0`). */
  name: string;
  kind: FlopKind;
  flops: number;
}

export function conv2dMacs(
  batch: number,
  outH: number,
  outW: number,
  cin: number,
  cout: number,
  kernel: number,
  groups = 1,
): number {
  return batch * outH * outW * cout * (cin / groups) * kernel * kernel;
}

export function groupNormFlops(elements: number, affine: boolean): number {
  return elements * (affine ? 5 : 4);
}

export function sumFlops(entries: FlopEntry[], kind?: FlopKind): number {
  return entries.reduce((s, e) => (kind === undefined || e.kind === kind ? s + e.flops : s), 0);
}
