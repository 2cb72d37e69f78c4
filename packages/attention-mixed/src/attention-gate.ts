/**
 * The mixed-attention gate (paper §3.3, Eq. 14): a block attends with FAVOR+ iff its token count
 * `L = H·W` exceeds `λ·d` (d = head width), with exact softmax otherwise, because FAVOR+ costs
 * `O(L·m·d)` against softmax's `O(L²·d)` and only wins once L is large against d (λ = 2 in the paper).
 */
import type { AttentionMode } from './attention-config';

/** Eq. 14: FAVOR+ iff `L > λ·d` (strictly greater: at `L = λ·d` softmax runs). */
export function favorGate(tokens: number, lambda: number, headDim: number): boolean {
  return tokens > lambda * headDim;
}

/** Whether a block in `mode` runs FAVOR+ at `height × width`: 'favor' always, 'softmax' never, 'gate' by Eq. 14. */
export function selectsFavor(mode: AttentionMode, lambda: number, headDim: number, height: number, width: number): boolean {
  if (mode === 'softmax') return false;
  if (mode === 'favor') return true;
  return favorGate(height * width, lambda, headDim);
}
