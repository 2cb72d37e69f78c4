/**
 * tfjs-layers adapter (entry point `@evdm/attention-mixed/layers`; needs the optional peer
 * `@tensorflow/tfjs-layers`). The layer's weights are the block's parameters under the same names,
 * including the non-trainable FAVOR+ projection, so `model.save()` keeps the random features.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ParamReader, ParamSpec } from '@evdm/core';
import { ModuleLayer } from '@evdm/core/layers';
import type { SpatialSelfAttentionConfig } from './attention-config';
import { SpatialSelfAttention } from './spatial-self-attention';

export interface SpatialSelfAttentionLayerArgs extends SpatialSelfAttentionConfig {
  /** Seed of the initial weights (default 0). */
  seed?: number;
  trainable?: boolean;
}

/**
 * `SpatialSelfAttention` as a tfjs-layers Layer: input and output NHWC `[B, H, W, C]`.
 * Call kwargs: `training` (from `fit`), and `step` / `redrawSeed` for the 'every-n' and
 * 'per-call' redraw policies.
 */
export class SpatialSelfAttentionLayer extends ModuleLayer {
  static className = 'EvdmSpatialSelfAttention';
  readonly block: SpatialSelfAttention;

  constructor(args: SpatialSelfAttentionLayerArgs) {
    const block = new SpatialSelfAttention(args);
    super({ name: args.name, seed: args.seed, trainable: args.trainable });
    this.block = block;
  }

  protected moduleSpecs(): ParamSpec[] {
    return this.block.paramSpecs();
  }

  protected forward(read: ParamReader, inputs: tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const step = kwargs.step as number | undefined;
    const seed = kwargs.redrawSeed as number | undefined;
    return this.block.apply(read, inputs[0] as tf.Tensor4D, { training: kwargs.training === true, step, seed });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (s.length !== 4 || (s[3] !== null && s[3] !== this.block.config.channels)) {
      throw new Error(`${this.name}: expects NHWC input with ${this.block.config.channels} channels, got shape [${s}]`);
    }
    return s;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.block.toJSON() as unknown as tf.serialization.ConfigDict) };
  }
}
tf.serialization.registerClass(SpatialSelfAttentionLayer);
