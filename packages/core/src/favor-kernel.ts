/**
 * Kernel contract of FAVOR+ attention over heads packed in channels (`favorAttentionHeads` of
 * @evdm/attention-mixed), so a backend package can register it without depending on the attention
 * package: q, k `[B, L, heads·d]`, v `[B, L, heads·dv]`, head h owning channels `[h·d, (h+1)·d)`,
 * and the `[m, d]` projection; one output `[B, L, heads·dv]`.
 */
export const FAVOR_ATTENTION = 'EvdmFavorAttention';
/** Inputs `q, k, v, projection, dy`; outputs `[dq, dk, dv]` (the projection is not trained). */
export const FAVOR_ATTENTION_GRAD = 'EvdmFavorAttentionGrad';

/** Stabiliser codes of the kernels: 0 none, 1 'performer', 2 'exponent' (see FavorOptions.stabilize). */
export const FAVOR_STABILIZERS = { none: 0, performer: 1, exponent: 2 } as const;

export interface FavorKernelAttrs {
  heads: number;
  stabilizer: 0 | 1 | 2;
  /** Added to every feature after exp, divided by sqrt(m) (FavorOptions.epsilon). */
  epsilon: number;
}
