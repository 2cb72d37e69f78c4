/**
 * Bottleneck Residual Pathway (paper §3.2, Eq. 8-10; §3.4 SO and Split), structured as in
 * docs/evdm-reconstruction.md §2, which was fitted to the paper's Tables 1, 2 and 8. The paper's text and
 * its tables disagree in places; where they do, the tables decide (each choice is marked below).
 *
 * Block = P(C_in → C_o) then P(C_o → C_o) (docs/evdm-reconstruction.md §2: "two stacked procedures each ending at
 * C_o"; the literal Eq. 10 widths C_o/(2δ) give 21.75M / 319.53 GFLOPs for KTH instead of
 * Table 8's 28.1M / 381.49), plus MCVD's shortcut, output `(x + h)/√2`.
 *
 * Procedure P(c → C_o), b = C_o/δ (Eq. 9, "K1 ∈ R^{1×1×C×C_o/δ}"):
 *   1. Y = GN(X)·(1+e1) + e2, [e1,e2] = Linear(T → 2c)(SiLU(temb))          (Eq. 8; MCVD's AdaGN)
 *      first procedure only: act, then FIR-resample Y and the block input X (as MCVD, docs/mcvd-reference.md §4.3)
 *   2. Y_b = bottleneck 1x1 conv (c → b) of act(Y)                              (Eq. 9, act = ReLU)
 *   3. Y_b = GN(Y_b)·(1+e1') + e2', [e1',e2'] = Linear(T → 2b)  with BRP-eh      (Eq. 9)
 *      Y_b = affine GN(Y_b) (γ, β: 2b params, 5N FLOPs) without BRP-eh     (Table 8 rows 2-3)
 *   4. out = concat[Conv3x3(Y_b), Conv1x1(Y_b)], each path C_o/2 wide          (Eq. 10, widths per
 *      Table 8: C_o/2 per path, not C_o/(2δ))
 * With Split (§3.4, Fig. 2; channel-split.ts) the bottleneck sees only part of the channels and
 * the direct-link channels are concatenated, then the result is channel-shuffled with 2 groups
 * (ShuffleNet v2 style) so the next split never picks a fixed subset of the same channels.
 * With SO the shortcut 1x1 conv becomes a grouped 1x1 conv (N_g groups) + channel shuffle; an
 * identity shortcut stays identity (docs/evdm-reconstruction.md §2, fits EVDM-L's Table 1 deltas).
 *
 * G_emb (the "embedding of timestep and past frames") is the U-Net's time MLP output `temb`; past
 * frames enter through the input concat only (docs/evdm-reconstruction.md §1: any past-frame encoder would have
 * to be parameter-free to fit the counts). Enhancement width: 'C' = Linear(T → c) (literally
 * W_l ∈ R^{E×C}), whose two halves e1, e2 (c/2 each) are tiled twice over the c channels; fits
 * SMMNIST/BAIR EVDM-L in Table 2. '2C' = Linear(T → 2c) fits KTH and UCF.
 */
import * as tf from '@tensorflow/tfjs-core';
import { affineNorm, affineNormSpecs, checkDivides, checkOneOf, checkPositiveInt, checkRate, conv, conv2dMacs } from '@evdm/core';
import { convSpecs, denseSpecs, groupNorm, groupNormFlops, mcvdGroupCount } from '@evdm/core';
import type { BlockContext, Configurable, FlopEntry, ParamReader, ParamSpec } from '@evdm/core';
import { channelSplitPlan, type ChannelSplitPlan } from './channel-split';
import {
  activatedTemb,
  tembDense,
  checkInputs,
  resampledSize,
  ResidualBlockBase,
  resolveResidualBlockFields,
  blockDropout,
} from './residual-block';
import type { ResidualBlockFields } from './residual-block';
import { firDownsample, firUpsample } from './fir';
import { groupedConv1x1 } from './grouped-conv';
import { channelTail, residualOutput, splitProcedureOutput, type SplitOutputParts } from './brp-channel-ops';
import { groupNormTail } from './group-norm-tail';

export const BRP_EPS = 1e-5;
/** Shuffle groups after a Split concat (ShuffleNet v2 uses 2). */
export const SPLIT_SHUFFLE_GROUPS = 2;

/** `resample` runs in the first procedure. */
export interface BrpConfig extends ResidualBlockFields {
  /** Bottleneck reduction δ: b = outChannels/δ (EVDM 4, EVDM-L 8; default 4). */
  delta?: number;
  /** BRP-eh: enhance the bottleneck GN with Linear(T → 2b) (default true); false = affine GN. */
  temporalEnhancement?: boolean;
  /** Three-path channel split inside both procedures (EVDM-L; default false). */
  channelSplit?: boolean;
  /** SO: groups N_g of the 1x1 shortcut conv, followed by a channel shuffle (default 1; EVDM-L 4). */
  shortcutGroups?: number;
  /** Enhancement Linear width per normalised width c: '2C' → 2c outputs (default), 'C' → c. */
  enhancementWidth?: '2C' | 'C';
  /** Dropout before the second procedure's bottleneck (default 0.1, as MCVD). */
  dropout?: number;
  /** Activation before the bottleneck conv: 'relu' (Eq. 9, default) or 'silu' (MCVD). */
  activation?: 'relu' | 'silu';
}

export type ResolvedBrpConfig = Required<BrpConfig>;

/** Widths of one procedure. */
export interface BrpProcedurePlan {
  cin: number;
  cout: number;
  bottleneck: number;
  /** output width of each path (3x3 and 1x1) */
  pathOut: number;
  /** input channels of the bottleneck conv */
  bottleneckIn: number;
  /** direct-link channels (Split only, else 0) */
  direct: number;
  split?: ChannelSplitPlan;
}

/** @deprecated use `BottleneckResidualPathway.resolve` (the config idiom: `resolve` / `toJSON` / `fromJSON`). */
export function resolveBrpConfig(cfg: BrpConfig): ResolvedBrpConfig {
  if (!cfg || typeof cfg !== 'object') throw new Error('BottleneckResidualPathway: config object required');
  const owner = `BottleneckResidualPathway(${String(cfg.name)})`;
  const c: ResolvedBrpConfig = {
    ...resolveResidualBlockFields(owner, cfg),
    delta: checkPositiveInt(owner, 'delta', cfg.delta ?? 4),
    temporalEnhancement: cfg.temporalEnhancement ?? true,
    channelSplit: cfg.channelSplit ?? false,
    shortcutGroups: checkPositiveInt(owner, 'shortcutGroups', cfg.shortcutGroups ?? 1),
    enhancementWidth: checkOneOf(owner, 'enhancementWidth', cfg.enhancementWidth ?? '2C', ['2C', 'C'] as const),
    dropout: checkRate(owner, 'dropout', cfg.dropout ?? 0.1),
    activation: checkOneOf(owner, 'activation', cfg.activation ?? 'relu', ['relu', 'silu'] as const),
  };
  for (const k of ['temporalEnhancement', 'channelSplit'] as const) {
    if (typeof c[k] !== 'boolean') throw new Error(`${owner}: ${k} must be a boolean, got ${String(c[k])}`);
  }
  checkDivides(owner, `delta must divide outChannels`, c.delta, c.outChannels);
  checkDivides(owner, `the two paths need an even outChannels`, 2, c.outChannels);
  checkDivides(owner, `shortcutGroups must divide inChannels`, c.shortcutGroups, c.inChannels);
  checkDivides(owner, `shortcutGroups must divide outChannels`, c.shortcutGroups, c.outChannels);
  if (c.channelSplit) {
    try {
      channelSplitPlan(c.inChannels, c.outChannels);
      channelSplitPlan(c.outChannels, c.outChannels);
    } catch (e) {
      throw new Error(`${owner}: channelSplit: ${(e as Error).message}`);
    }
  }
  if (c.enhancementWidth === 'C') {
    const b = c.outChannels / c.delta;
    for (const [what, v] of [
      ['inChannels', c.inChannels],
      ['outChannels', c.outChannels],
      ['the bottleneck width outChannels/delta', b],
    ] as const) {
      if (v % 2 !== 0)
        throw new Error(`${owner}: enhancementWidth 'C' splits the Linear output in halves: ${what} (${v}) must be even`);
    }
  }
  return c;
}

export class BottleneckResidualPathway extends ResidualBlockBase<ResolvedBrpConfig> {
  constructor(config: BrpConfig) {
    super(resolveBrpConfig(config));
  }

  /** Fills defaults and validates: the full config (`this.config`, `toJSON()`); errors name block, field and value. */
  static resolve(config: BrpConfig): ResolvedBrpConfig {
    return resolveBrpConfig(config);
  }

  /** Widths of the two procedures. */
  procedurePlans(): [BrpProcedurePlan, BrpProcedurePlan] {
    const { inChannels, outChannels, delta, channelSplit } = this.config;
    const plan = (cin: number): BrpProcedurePlan => {
      const bottleneck = outChannels / delta;
      if (!channelSplit) return { cin, cout: outChannels, bottleneck, pathOut: outChannels / 2, bottleneckIn: cin, direct: 0 };
      const split = channelSplitPlan(cin, outChannels);
      return {
        cin,
        cout: outChannels,
        bottleneck,
        pathOut: split.pathOut,
        bottleneckIn: split.bottleneckIn,
        direct: split.direct,
        split,
      };
    };
    return [plan(inChannels), plan(outChannels)];
  }

  private enhancementSpecs(prefix: string, width: number): ParamSpec[] {
    const n = this.config.enhancementWidth === '2C' ? 2 * width : width;
    return denseSpecs(prefix, this.config.tembChannels, n);
  }

  paramSpecs(): ParamSpec[] {
    const c = this.config;
    const specs: ParamSpec[] = [];
    this.procedurePlans().forEach((p, i) => {
      const pre = `${c.name}/proc${i}`;
      // the block's last convs start at ≈0 (MCVD's Conv_1 init) so a fresh block is ≈ its shortcut
      const lastScale = i === 1 ? 0 : 1;
      specs.push(...this.enhancementSpecs(`${pre}/norm_in/enhance`, p.cin));
      specs.push(...convSpecs(`${pre}/bottleneck`, 1, p.bottleneckIn, p.bottleneck));
      if (c.temporalEnhancement) specs.push(...this.enhancementSpecs(`${pre}/norm_b/enhance`, p.bottleneck));
      else specs.push(...affineNormSpecs(`${pre}/norm_b`, p.bottleneck));
      specs.push(...convSpecs(`${pre}/path3x3`, 3, p.bottleneck, p.pathOut, lastScale));
      specs.push(...convSpecs(`${pre}/path1x1`, 1, p.bottleneck, p.pathOut, lastScale));
    });
    if (this.hasShortcutConv) {
      const g = c.shortcutGroups;
      specs.push(
        {
          name: `${c.name}/shortcut/kernel`,
          shape: [1, 1, c.inChannels / g, c.outChannels],
          init: { kind: 'varianceScaling', scale: 1 },
        },
        { name: `${c.name}/shortcut/bias`, shape: [c.outChannels], init: { kind: 'zeros' } },
      );
    }
    return specs;
  }

  /** The enhancement Linears (on SiLU(temb)) of both procedures, see ResidualBlock.tembLinearPrefixes. */
  tembLinearPrefixes(): string[] {
    const n = this.config.name;
    return [0, 1].flatMap((i) => [
      `${n}/proc${i}/norm_in/enhance`,
      ...(this.config.temporalEnhancement ? [`${n}/proc${i}/norm_b/enhance`] : []),
    ]);
  }

  /**
   * The GroupNorm modulation from the enhancement Linear (Eq. 8) of `act` = SiLU(temb): with '2C' its
   * `[B, 2·width]` output as it is (e1 then e2, read in place by the norm); with 'C' each half tiled twice.
   */
  private enhancement(
    read: ParamReader,
    prefix: string,
    act: tf.Tensor2D,
    width: number,
    ctx: BlockContext,
  ): { modulation: tf.Tensor2D } | { scale: tf.Tensor2D; shift: tf.Tensor2D } {
    const e = tembDense(read, prefix, act, ctx);
    if (this.config.enhancementWidth === '2C') return { modulation: e };
    const b = act.shape[0];
    const half = width / 2;
    const e1 = tf.slice(e, [0, 0], [b, half]);
    const e2 = tf.slice(e, [0, half], [b, half]);
    return { scale: tf.concat([e1, e1], 1), shift: tf.concat([e2, e2], 1) };
  }

  private procedure(
    read: ParamReader,
    index: 0 | 1,
    plan: BrpProcedurePlan,
    x: tf.Tensor4D,
    ctx: BlockContext,
    act: tf.Tensor2D,
  ): { out: tf.Tensor4D | SplitOutputParts; input: tf.Tensor4D } {
    const c = this.config;
    const pre = `${c.name}/proc${index}`;
    const owner = `BottleneckResidualPathway(${c.name})`;
    // the activation runs inside the (possibly fused native) GroupNorm op
    const norm = {
      x,
      groups: mcvdGroupCount(plan.cin),
      eps: BRP_EPS,
      ...this.enhancement(read, `${pre}/norm_in/enhance`, act, plan.cin, ctx),
      activation: c.activation,
    };
    // Split, reduce case: the bottleneck reads only the channels after the `direct` ones; unless a
    // dropout mask is drawn over the full width, only those are normalised (group-norm-tail.ts)
    const tail = plan.split?.case === 'reduce' ? plan.direct : 0;
    const dropoutActive = index === 1 && !!ctx.training && c.dropout > 0;
    const normTail = tail > 0 && !dropoutActive ? groupNormTail(norm, tail) : null;
    let y = normTail ?? (groupNorm(norm) as tf.Tensor4D);
    let input = x;
    if (index === 0 && c.resample !== 'none') {
      const fir = c.resample === 'up' ? firUpsample : firDownsample;
      y = fir(y);
      input = fir(x);
    }
    if (index === 1) y = blockDropout(owner, y, c.dropout, ctx);
    if (tail > 0 && !normTail) y = channelTail(y, tail);
    let yb = conv(read, `${pre}/bottleneck`, y);
    const groups = mcvdGroupCount(plan.bottleneck);
    if (c.temporalEnhancement) {
      yb = groupNorm({
        x: yb,
        groups,
        eps: BRP_EPS,
        ...this.enhancement(read, `${pre}/norm_b/enhance`, act, plan.bottleneck, ctx),
      }) as tf.Tensor4D;
    } else {
      yb = groupNorm({ x: yb, groups, eps: BRP_EPS, ...affineNorm(read, `${pre}/norm_b`) }) as tf.Tensor4D;
    }
    const p3 = conv(read, `${pre}/path3x3`, yb);
    const p1 = conv(read, `${pre}/path1x1`, yb);
    if (!plan.split) return { out: tf.concat([p3, p1], 3), input };
    // Split: shuffle(concat[p3, p1, input[..., :direct]]); the second procedure's is gathered with
    // the block output (brp-channel-ops.ts), the first's as one channel gather
    const parts = { p3, p1, input, direct: plan.direct, groups: SPLIT_SHUFFLE_GROUPS };
    return { out: index === 1 ? parts : splitProcedureOutput(parts), input };
  }

  /** Runs the block: `x` NHWC `[B, H, W, inChannels]`, `ctx.temb` `[B, T]`. */
  apply(read: ParamReader, x: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D {
    const c = this.config;
    checkInputs(`BottleneckResidualPathway(${c.name})`, x, c.inChannels, c.tembChannels, c.resample, ctx);
    return tf.tidy(() => {
      const [p0, p1] = this.procedurePlans();
      const act = activatedTemb(ctx);
      const first = this.procedure(read, 0, p0, x, ctx, act);
      const h = this.procedure(read, 1, p1, first.out as tf.Tensor4D, ctx, act).out;
      let skip = first.input;
      let groups = 1;
      if (this.hasShortcutConv) {
        const k = read(`${c.name}/shortcut/kernel`) as tf.Tensor4D;
        const b = read(`${c.name}/shortcut/bias`) as tf.Tensor1D;
        skip = groupedConv1x1(skip, k, b, c.shortcutGroups);
        groups = c.shortcutGroups;
      }
      // (shuffle_g(skip) + h)·√½, one channel gather with an addend (brp-channel-ops.ts)
      return residualOutput(skip, h, groups);
    });
  }

  /**
   * Forward FLOPs (fvcore convention, docs/mcvd-reference.md §12): conv MACs without bias, GroupNorm 4N
   * (non-affine, eh) or 5N (affine), FIR and the enhancement Linears 0. `height`/`width` = INPUT size.
   */
  flops(batch: number, height: number, width: number): FlopEntry[] {
    const c = this.config;
    const [ho, wo] = resampledSize(c.resample, height, width);
    const out: FlopEntry[] = [];
    this.procedurePlans().forEach((p, i) => {
      const pre = `${c.name}/proc${i}`;
      const [hn, wn] = i === 0 ? [height, width] : [ho, wo];
      out.push({ name: `${pre}/norm_in`, kind: 'norm', flops: groupNormFlops(batch * hn * wn * p.cin, false) });
      out.push({ name: `${pre}/bottleneck`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, p.bottleneckIn, p.bottleneck, 1) });
      out.push({
        name: `${pre}/norm_b`,
        kind: 'norm',
        flops: groupNormFlops(batch * ho * wo * p.bottleneck, !c.temporalEnhancement),
      });
      out.push({ name: `${pre}/path3x3`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, p.bottleneck, p.pathOut, 3) });
      out.push({ name: `${pre}/path1x1`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, p.bottleneck, p.pathOut, 1) });
    });
    if (this.hasShortcutConv) {
      out.push({
        name: `${c.name}/shortcut`,
        kind: 'conv',
        flops: conv2dMacs(batch, ho, wo, c.inChannels, c.outChannels, 1, c.shortcutGroups),
      });
    }
    return out;
  }
}

BottleneckResidualPathway satisfies Configurable<BrpConfig, ResolvedBrpConfig, BottleneckResidualPathway>;
