/**
 * tfjs-layers adapters (entry point `@evdm/layers-brp/layers`; needs `@tensorflow/tfjs-layers`).
 * Each layer wraps one block: inputs `[x, temb]` (SPADE: `[x, temb, cond]`), weights named by the
 * block's parameter names, `getConfig()` = the whole block config plus the init seed, registered
 * for (de)serialisation. Dropout masks come from a seeded host stream advanced on each training call.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModuleLayer } from '@evdm/core/layers';
import { Rng, type ParamReader, type ParamSpec } from '@evdm/core';
import { McvdResBlock, type McvdResBlockConfig } from './mcvd-resblock';
import { BottleneckResidualPathway, type BrpConfig } from './brp';

type LayerExtras = { seed?: number; trainable?: boolean; layerName?: string };

abstract class BlockLayer<B extends McvdResBlock | BottleneckResidualPathway> extends ModuleLayer {
  protected abstract readonly block: B;
  private dropoutRng: Rng;

  constructor(args: LayerExtras & { name: string }) {
    super({ name: args.layerName ?? args.name, trainable: args.trainable, seed: args.seed });
    this.dropoutRng = new Rng(this.seed, 1);
  }

  protected moduleSpecs(): ParamSpec[] {
    return this.block.paramSpecs();
  }

  protected forward(read: ParamReader, inputs: tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const [x, temb, cond] = inputs;
    const training = kwargs['training'] === true;
    const seed = training ? this.dropoutRng.seed31() : undefined;
    return this.block.apply(read, x as tf.Tensor4D, {
      temb: temb as tf.Tensor2D,
      cond: cond as tf.Tensor4D | undefined,
      training,
      seed,
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const xs = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const [b, h, w] = xs;
    const out = this.block.config.outChannels;
    const r = this.block.config.resample;
    const f = (v: number | null | undefined) => (v == null ? null : r === 'down' ? v / 2 : r === 'up' ? v * 2 : v);
    return [b ?? null, f(h), f(w), out];
  }

  /** Parameter count of the wrapped block. */
  paramCount(): number {
    return this.block.paramCount();
  }
}

/** tfjs-layers `Layer` of {@link McvdResBlock}; inputs `[x, temb]` or `[x, temb, cond]` (SPADE). */
export class McvdResBlockLayer extends BlockLayer<McvdResBlock> {
  static className = 'EvdmMcvdResBlock';
  protected readonly block: McvdResBlock;

  constructor(config: McvdResBlockConfig & LayerExtras) {
    super(config);
    this.block = new McvdResBlock(config);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { name: _n, ...rest } = super.getConfig();
    return { ...rest, layerName: this.name, ...this.block.toJSON() } as unknown as tf.serialization.ConfigDict;
  }
}

/** `model.save()` snake-cases string config values ('2C' -> '2c'); map them back on load. */
function savedEnhancementWidth(v: BrpConfig['enhancementWidth']): BrpConfig['enhancementWidth'] {
  const s = v as string | undefined;
  return s === '2c' || s === 'c' ? (s.toUpperCase() as '2C' | 'C') : v;
}

/** tfjs-layers `Layer` of {@link BottleneckResidualPathway}; inputs `[x, temb]`. */
export class BottleneckResidualPathwayLayer extends BlockLayer<BottleneckResidualPathway> {
  static className = 'EvdmBottleneckResidualPathway';
  protected readonly block: BottleneckResidualPathway;

  constructor(config: BrpConfig & LayerExtras) {
    super(config);
    this.block = new BottleneckResidualPathway({ ...config, enhancementWidth: savedEnhancementWidth(config.enhancementWidth) });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { name: _n, ...rest } = super.getConfig();
    return { ...rest, layerName: this.name, ...this.block.toJSON() } as unknown as tf.serialization.ConfigDict;
  }
}

tf.serialization.registerClass(McvdResBlockLayer);
tf.serialization.registerClass(BottleneckResidualPathwayLayer);
