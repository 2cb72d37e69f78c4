import type * as tf from '@tensorflow/tfjs-core';
import type { FlopEntry } from './flops';
import type { ParamModule, ParamReader, ParamSpec } from './params';

/**
 * The block contract every evdm network part follows: named parameters (`paramSpecs`), a pure
 * forward pass over them (`apply(read, x, ctx)`: no hidden state, the reader supplies the weights:
 * live variables, EMA copies or tfjs-layers weights) and its forward cost (`flops`, fvcore
 * convention at an INPUT size). A U-Net is a list of blocks; a new variant is a new class that
 * `implements Block<Ctx>`.
 */
export interface Block<Ctx = unknown> extends ParamModule {
  /** Parameter-name prefix of the block (every spec name starts with it). */
  readonly name: string;
  /** Named, shaped parameters in creation order (the order fixes the seeded initial values). */
  paramSpecs(): ParamSpec[];
  /** Runs the block on NHWC `x` `[B, H, W, C]`; returns a new NHWC tensor. */
  apply(read: ParamReader, x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D;
  /** Forward FLOP entries at batch `batch` and INPUT size `height × width`. */
  flops(batch: number, height: number, width: number): FlopEntry[];
}

/** Per-call inputs of a U-Net residual block besides `x` (the context of `Block<BlockContext>`). */
export interface BlockContext {
  /** Time embedding `[B, T]` as produced by the time MLP (before SiLU). */
  temb: tf.Tensor2D;
  /**
   * SiLU(temb) `[B, T]`, computed once per network forward by the caller (the U-Net); blocks read
   * it instead of applying SiLU per enhancement Linear. When absent, blocks compute it from `temb`.
   */
  tembAct?: tf.Tensor2D;
  /** SPADE only: the conditioning frames `[B, Hc, Wc, condChannels]` (resized per norm, nearest). */
  cond?: tf.Tensor4D;
  /** Dropout is active only when true. */
  training?: boolean;
  /** Seed of the dropout mask; required when `training` and dropout > 0 (determinism). */
  seed?: number;
  /**
   * The outputs `[B, N]` of the block's Dense layers on SiLU(temb) (named by
   * `ResidualBlock.tembLinearPrefixes`), computed by the caller in one matmul; undefined for a
   * prefix it did not compute (the block then runs the Dense itself). Same values either way.
   */
  tembLinear?: (prefix: string) => tf.Tensor2D | undefined;
}

/** A residual block of the U-Net: MCVD's ResBlock, the BRP, or any new variant. */
export interface ResidualBlock extends Block<BlockContext> {
  /**
   * Parameter prefixes of the Dense layers (`${prefix}/kernel` `[T, N]`, `${prefix}/bias`) the block
   * applies to SiLU(temb): a caller may run them all as one matmul and pass the results as
   * `ctx.tembLinear`. Optional; a block without it always runs its own.
   */
  tembLinearPrefixes?(): string[];
}
