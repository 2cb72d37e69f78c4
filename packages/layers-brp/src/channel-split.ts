/**
 * The three-path channel split of paper §3.4 / Fig. 2, with the case rules of
 * docs/evdm-reconstruction.md §2 ("Split"). The paper's sentence for `cin >= cout` names the halves the
 * other way round ("the former C_out/2 goes to the bottleneck"); that reading cannot produce
 * `cout` channels when `cin > cout` and does not fit Table 8, so the tables decide:
 * - `cin < cout` ('expand'): all `cin` channels go to the bottleneck, the 3x3 and 1x1 paths give
 *   `(cout - cin)/2` channels each, and the `cin` input channels are linked directly.
 * - `cin >= cout` ('reduce'): `cout/2` channels are linked directly; the other `cin - cout/2` go to
 *   the bottleneck and the two paths give `cout/4` each.
 */
export interface ChannelSplitPlan {
  case: 'expand' | 'reduce';
  /** channels copied straight to the output (direct link) */
  direct: number;
  /** channels fed to the bottleneck 1x1 conv */
  bottleneckIn: number;
  /** output channels of EACH of the 3x3 and 1x1 paths */
  pathOut: number;
}

export function channelSplitPlan(cin: number, cout: number): ChannelSplitPlan {
  for (const [k, v] of [
    ['cin', cin],
    ['cout', cout],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`channelSplitPlan: ${k} must be a positive integer, got ${v}`);
  }
  if (cin < cout) {
    if ((cout - cin) % 2 !== 0) {
      throw new Error(`channelSplitPlan: cout - cin (${cout} - ${cin}) must be even to give two equal paths`);
    }
    return { case: 'expand', direct: cin, bottleneckIn: cin, pathOut: (cout - cin) / 2 };
  }
  if (cout % 4 !== 0) throw new Error(`channelSplitPlan: cout (${cout}) must be divisible by 4 when cin >= cout`);
  return { case: 'reduce', direct: cout / 2, bottleneckIn: cin - cout / 2, pathOut: cout / 4 };
}
