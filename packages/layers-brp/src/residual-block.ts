/**
 * What every U-Net residual block shares beyond the core builders: the resampling modes, MCVD's
 * shortcut rule, the time-embedding scale/shift, seeded dropout and the input checks at the edge.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkName, checkOneOf, checkPositiveInt, dense, paramCount, parseConfigJson, seededDropout, silu } from '@evdm/core';
import type { Block, BlockContext, FlopEntry, ParamReader, ParamSpec } from '@evdm/core';

export type Resample = 'none' | 'up' | 'down';
export const RESAMPLE_MODES: readonly Resample[] = ['none', 'up', 'down'];

/** The fields every residual block's config has (`resample` defaults to 'none'). */
export interface ResidualBlockFields {
  /** Parameter-name prefix (e.g. `down.1.block.0`). */
  name: string;
  inChannels: number;
  outChannels: number;
  /** Width T of the time embedding (4·C0). */
  tembChannels: number;
  /** FIR resampling inside the block (default 'none'). */
  resample?: Resample;
}

/** {@link ResidualBlockFields} resolved: where a block sits in the U-Net. */
export type ResidualBlockConfig = Required<ResidualBlockFields>;

/** Validates the fields every residual block has (`resample` defaults to 'none'); errors name the owner. */
export function resolveResidualBlockFields(owner: string, cfg: Partial<ResidualBlockFields>): ResidualBlockConfig {
  return {
    name: checkName(owner, cfg.name),
    inChannels: checkPositiveInt(owner, 'inChannels', cfg.inChannels),
    outChannels: checkPositiveInt(owner, 'outChannels', cfg.outChannels),
    tembChannels: checkPositiveInt(owner, 'tembChannels', cfg.tembChannels),
    resample: checkOneOf(owner, 'resample', cfg.resample ?? 'none', RESAMPLE_MODES),
  };
}

/**
 * What MCVD's ResBlock and the BRP share: the resolved config (`config`; `toJSON()` and `fromJSON`
 * of the config idiom), the shortcut rule, the output shape and the parameter count. A subclass adds
 * `static resolve`, `paramSpecs`, `apply` and `flops`.
 */
export abstract class ResidualBlockBase<C extends ResidualBlockConfig> implements Block<BlockContext> {
  readonly config: C;

  protected constructor(config: C) {
    this.config = config;
  }

  /** Rebuilds a block from `toJSON()` output (an object or its JSON string); validated by the constructor. */
  static fromJSON<T>(this: new (config: never) => T, json: unknown): T {
    return new this(parseConfigJson((this as unknown as { name: string }).name, json) as never);
  }

  /** The full config as plain JSON data; `fromJSON` of it builds the same block. */
  toJSON(): C {
    return structuredClone(this.config);
  }

  get name(): string {
    return this.config.name;
  }

  /** MCVD's rule: a 1x1 shortcut conv (BRP with SO: grouped) when widths differ or the block resamples. */
  get hasShortcutConv(): boolean {
    const c = this.config;
    return needsShortcutConv(c.inChannels, c.outChannels, c.resample);
  }

  paramCount(): number {
    return paramCount(this.paramSpecs());
  }

  /** Output shape for an NHWC input shape. */
  outputShape(inputShape: readonly number[]): [number, number, number, number] {
    const [h, w] = resampledSize(this.config.resample, inputShape[1], inputShape[2]);
    return [inputShape[0], h, w, this.config.outChannels];
  }

  abstract paramSpecs(): ParamSpec[];
  abstract apply(read: ParamReader, x: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D;
  abstract flops(batch: number, height: number, width: number): FlopEntry[];
}

/** SiLU(temb): the network's precomputed `ctx.tembAct` when present, else computed here (once per block). */
export function activatedTemb(ctx: BlockContext): tf.Tensor2D {
  return ctx.tembAct ?? silu(ctx.temb);
}

/** `Dense(act)` of `prefix` (act = SiLU(temb)): the caller's precomputed output (`ctx.tembLinear`) when given. */
export function tembDense(read: ParamReader, prefix: string, act: tf.Tensor2D, ctx: BlockContext): tf.Tensor2D {
  return ctx.tembLinear?.(prefix) ?? dense(read, prefix, act);
}

/** `Dense(act)` (act = SiLU(temb), see activatedTemb), split into the scale and shift halves `[B, width]` each. */
export function embeddingScaleShift(
  read: ParamReader,
  prefix: string,
  act: tf.Tensor2D,
  width: number,
  ctx: BlockContext,
): [tf.Tensor2D, tf.Tensor2D] {
  const e = tembDense(read, prefix, act, ctx);
  const b = act.shape[0];
  return [tf.slice(e, [0, 0], [b, width]), tf.slice(e, [0, width], [b, width])];
}

/** A block's dropout (core's seededDropout, seeded by ctx.seed); identity unless training with rate > 0. */
export function blockDropout(owner: string, x: tf.Tensor4D, rate: number, ctx: BlockContext): tf.Tensor4D {
  if (!ctx.training || rate === 0) return x;
  if (ctx.seed === undefined || !Number.isFinite(ctx.seed)) {
    throw new Error(`${owner}: training with dropout ${rate} needs ctx.seed (a number) so the mask is reproducible`);
  }
  return seededDropout(x, rate, ctx.seed);
}

/** MCVD's shortcut rule (docs/mcvd-reference.md §4.3): a 1x1 conv when the widths differ or the block resamples. */
export function needsShortcutConv(inChannels: number, outChannels: number, resample: Resample): boolean {
  return inChannels !== outChannels || resample !== 'none';
}

/** Output spatial size of a block given its input size. */
export function resampledSize(resample: Resample, h: number, w: number): [number, number] {
  if (resample === 'down') return [h / 2, w / 2];
  if (resample === 'up') return [h * 2, w * 2];
  return [h, w];
}

/** Validates `x` and `temb` at the edge so tfjs never fails deep inside a block. */
export function checkInputs(
  owner: string,
  x: tf.Tensor,
  inChannels: number,
  tembChannels: number,
  resample: Resample,
  ctx: BlockContext | undefined,
): void {
  if (!x || x.rank !== 4) throw new Error(`${owner}: x must be NHWC [B, H, W, C], got shape [${x?.shape}]`);
  if (x.shape[3] !== inChannels) throw new Error(`${owner}: x has ${x.shape[3]} channels, expected inChannels = ${inChannels}`);
  if (resample === 'down' && ((x.shape[1] ?? 0) % 2 !== 0 || (x.shape[2] ?? 0) % 2 !== 0)) {
    throw new Error(`${owner}: down-sampling needs even height and width, got ${x.shape[1]}x${x.shape[2]}`);
  }
  const temb = ctx?.temb;
  if (!temb || temb.rank !== 2 || temb.shape[0] !== x.shape[0] || temb.shape[1] !== tembChannels) {
    throw new Error(`${owner}: ctx.temb must have shape [${x.shape[0]}, ${tembChannels}], got [${temb?.shape}]`);
  }
  const act = ctx.tembAct;
  if (act !== undefined && (!act || act.rank !== 2 || act.shape[0] !== x.shape[0] || act.shape[1] !== tembChannels)) {
    throw new Error(`${owner}: ctx.tembAct (SiLU(temb)) must have shape [${x.shape[0]}, ${tembChannels}], got [${act?.shape}]`);
  }
}
