/**
 * The MCVD residual block (`ResnetBlockBigGANppGN` / `ResnetBlockBigGANppSPADE`, docs/mcvd-reference.md §4.3):
 *
 *   h = SiLU(GN(x)·(1+s0) + b0)        [s0, b0] = Dense_0(SiLU(temb)), GN non-affine eps 1e-5
 *   if up/down: h = FIR(h), x = FIR(x)  FIR [1,3,3,1] on both branches (docs/mcvd-reference.md §4.4)
 *   h = Conv3x3_0(h)
 *   h = SiLU(GN(h)·(1+s1) + b1)        [s1, b1] = Dense_1(SiLU(temb))
 *   h = Conv3x3_1(Dropout(h))          Conv_1 initialised at scale 1e-10 (≈ 0)
 *   x = Conv1x1_2(x) if in ≠ out or the block resamples, else x
 *   out = (x + h) / √2
 *
 * The SPADE variant replaces each GN by `MySPADE(x, cond)` (eps 1e-6, spade.ts) before the time
 * modulation. Params: `Dense_0 (2T+2)·in`, `Conv_0 9·in·out+out`, `Dense_1 (2T+2)·out`,
 * `Conv_1 9·out²+out`, `Conv_2 in·out+out` (docs/mcvd-reference.md §4.3), plus SPADE per norm (docs/mcvd-reference.md §4.7).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt, checkRate, conv, conv2dMacs, convSpecs, denseSpecs, groupNorm, groupNormFlops } from '@evdm/core';
import { mcvdGroupCount, silu } from '@evdm/core';
import type { BlockContext, Configurable, FlopEntry, ParamReader, ParamSpec } from '@evdm/core';
import {
  activatedTemb,
  tembDense,
  checkInputs,
  embeddingScaleShift,
  resampledSize,
  ResidualBlockBase,
  resolveResidualBlockFields,
  blockDropout,
} from './residual-block';
import type { ResidualBlockFields } from './residual-block';
import { firDownsample, firUpsample } from './fir';
import { spadeFlops, spadeNorm, spadeSpecs, type SpadeConfig } from './spade';

/** MCVD's GroupNorm epsilon inside ResBlocks (docs/mcvd-reference.md §4.2). */
export const MCVD_RESBLOCK_EPS = 1e-5;

export interface McvdResBlockConfig extends ResidualBlockFields {
  /** Dropout before Conv_1 (default 0.1, MCVD). */
  dropout?: number;
  /** SPADE normalisation (UCF-101 baseline); omit for the concat variant. */
  spade?: SpadeConfig;
}

export type ResolvedMcvdResBlockConfig = Required<Omit<McvdResBlockConfig, 'spade'>> & { spade?: SpadeConfig };

/** @deprecated use `McvdResBlock.resolve` (the config idiom: `resolve` / `toJSON` / `fromJSON`). */
export function resolveMcvdResBlockConfig(cfg: McvdResBlockConfig): ResolvedMcvdResBlockConfig {
  const owner = `McvdResBlock(${String(cfg?.name)})`;
  if (!cfg || typeof cfg !== 'object') throw new Error('McvdResBlock: config object required');
  const out: ResolvedMcvdResBlockConfig = {
    ...resolveResidualBlockFields(owner, cfg),
    dropout: checkRate(owner, 'dropout', cfg.dropout ?? 0.1),
  };
  if (cfg.spade !== undefined) {
    if (!cfg.spade || typeof cfg.spade !== 'object') throw new Error(`${owner}: spade must be { condChannels, hiddenChannels }`);
    out.spade = {
      condChannels: checkPositiveInt(owner, 'spade.condChannels', cfg.spade.condChannels),
      hiddenChannels: checkPositiveInt(owner, 'spade.hiddenChannels', cfg.spade.hiddenChannels),
    };
  }
  return out;
}

export class McvdResBlock extends ResidualBlockBase<ResolvedMcvdResBlockConfig> {
  constructor(config: McvdResBlockConfig) {
    super(resolveMcvdResBlockConfig(config));
  }

  /** Fills defaults and validates: the full config (`this.config`, `toJSON()`); errors name block, field and value. */
  static resolve(config: McvdResBlockConfig): ResolvedMcvdResBlockConfig {
    return resolveMcvdResBlockConfig(config);
  }

  paramSpecs(): ParamSpec[] {
    const { name, inChannels: cin, outChannels: cout, tembChannels: t, spade } = this.config;
    return [
      ...denseSpecs(`${name}/norm0/dense`, t, 2 * cin),
      ...(spade ? spadeSpecs(`${name}/norm0/spade`, cin, spade) : []),
      ...convSpecs(`${name}/conv0`, 3, cin, cout),
      ...denseSpecs(`${name}/norm1/dense`, t, 2 * cout),
      ...(spade ? spadeSpecs(`${name}/norm1/spade`, cout, spade) : []),
      ...convSpecs(`${name}/conv1`, 3, cout, cout, 0),
      ...(this.hasShortcutConv ? convSpecs(`${name}/shortcut`, 1, cin, cout) : []),
    ];
  }

  /** The time-embedding Linears of both norms, see ResidualBlock.tembLinearPrefixes. */
  tembLinearPrefixes(): string[] {
    return [`${this.config.name}/norm0/dense`, `${this.config.name}/norm1/dense`];
  }

  private adaptiveNorm(
    read: ParamReader,
    key: 'norm0' | 'norm1',
    x: tf.Tensor4D,
    ctx: BlockContext,
    act: tf.Tensor2D,
  ): tf.Tensor4D {
    const { name, spade } = this.config;
    const ch = x.shape[3];
    if (!spade) {
      // the Linear's [B, 2C] output is the packed (scale, shift) modulation the norm reads in place
      const modulation = tembDense(read, `${name}/${key}/dense`, act, ctx);
      return groupNorm({ x, groups: mcvdGroupCount(ch), eps: MCVD_RESBLOCK_EPS, modulation, activation: 'silu' }) as tf.Tensor4D;
    }
    const [s, b] = embeddingScaleShift(read, `${name}/${key}/dense`, act, ch, ctx);
    const n = spadeNorm(read, `${name}/${key}/spade`, x, ctx.cond!);
    const bs = x.shape[0];
    return silu(tf.add(tf.mul(n, tf.reshape(tf.add(s, 1), [bs, 1, 1, ch])), tf.reshape(b, [bs, 1, 1, ch])));
  }

  /** Runs the block: `x` NHWC `[B, H, W, inChannels]`, `ctx.temb` `[B, T]` (+ `ctx.cond` for SPADE). */
  apply(read: ParamReader, x: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D {
    const c = this.config;
    const owner = `McvdResBlock(${c.name})`;
    checkInputs(owner, x, c.inChannels, c.tembChannels, c.resample, ctx);
    if (c.spade) {
      const cond = ctx.cond;
      if (!cond || cond.rank !== 4 || cond.shape[0] !== x.shape[0] || cond.shape[3] !== c.spade.condChannels) {
        throw new Error(
          `${owner}: SPADE needs ctx.cond of shape [${x.shape[0]}, H, W, ${c.spade.condChannels}], got [${cond?.shape}]`,
        );
      }
    }
    return tf.tidy(() => {
      const act = activatedTemb(ctx);
      let h = this.adaptiveNorm(read, 'norm0', x, ctx, act);
      let skip: tf.Tensor4D = x;
      if (c.resample === 'up') {
        h = firUpsample(h);
        skip = firUpsample(x);
      } else if (c.resample === 'down') {
        h = firDownsample(h);
        skip = firDownsample(x);
      }
      h = conv(read, `${c.name}/conv0`, h);
      h = this.adaptiveNorm(read, 'norm1', h, ctx, act);
      h = blockDropout(owner, h, c.dropout, ctx);
      h = conv(read, `${c.name}/conv1`, h);
      if (this.hasShortcutConv) skip = conv(read, `${c.name}/shortcut`, skip);
      return tf.mul(tf.add(skip, h), Math.SQRT1_2);
    });
  }

  /**
   * Forward FLOPs in the fvcore convention (docs/mcvd-reference.md §12): conv MACs without bias, GroupNorm 4N
   * (non-affine), SPADE resize 1N; the time Dense layers and the FIR filters count 0.
   * `height`/`width` are the INPUT size.
   */
  flops(batch: number, height: number, width: number): FlopEntry[] {
    const { name, inChannels: cin, outChannels: cout, spade } = this.config;
    const [ho, wo] = resampledSize(this.config.resample, height, width);
    const out: FlopEntry[] = [
      { name: `${name}/norm0`, kind: 'norm', flops: groupNormFlops(batch * height * width * cin, false) },
    ];
    if (spade) out.push(...spadeFlops(`${name}/norm0/spade`, batch, height, width, cin, spade));
    out.push({ name: `${name}/conv0`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, cin, cout, 3) });
    out.push({ name: `${name}/norm1`, kind: 'norm', flops: groupNormFlops(batch * ho * wo * cout, false) });
    if (spade) out.push(...spadeFlops(`${name}/norm1/spade`, batch, ho, wo, cout, spade));
    out.push({ name: `${name}/conv1`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, cout, cout, 3) });
    if (this.hasShortcutConv)
      out.push({ name: `${name}/shortcut`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, cin, cout, 1) });
    return out;
  }
}

McvdResBlock satisfies Configurable<McvdResBlockConfig, ResolvedMcvdResBlockConfig, McvdResBlock>;
