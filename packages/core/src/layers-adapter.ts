/**
 * Thin tfjs-layers adapter for evdm modules (entry point `@evdm/core/layers`, which needs the
 * optional peer `@tensorflow/tfjs-layers`). A module is `paramSpecs()` + a pure `apply(read, ...)`;
 * the adapter turns each spec into a LayerVariable and calls `apply` with a reader over them, so
 * the same weights names appear in `layer.getWeights()`, `model.save()` and evdm checkpoints.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initialValues, type ParamReader, type ParamSpec } from './params';
import { Rng } from './rng';

export interface ModuleLayerArgs {
  name?: string;
  trainable?: boolean;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

type LayerVariable = ReturnType<tfl.layers.Layer['addWeight']>;

export abstract class ModuleLayer extends tfl.layers.Layer {
  protected readonly seed: number;
  private readonly byName = new Map<string, LayerVariable>();

  constructor(args: ModuleLayerArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.seed = args.seed ?? 0;
  }

  /** The wrapped module's parameter specs (names are used as weight names). */
  protected abstract moduleSpecs(): ParamSpec[];

  /** Runs the module: `inputs` are the layer inputs in order. */
  protected abstract forward(read: ParamReader, inputs: tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor;

  override build(_inputShape: tfl.Shape | tfl.Shape[]): void {
    const rng = new Rng(this.seed);
    for (const spec of this.moduleSpecs()) {
      const v = this.addWeight(spec.name, spec.shape, 'float32', tfl.initializers.zeros(), undefined, spec.trainable ?? true);
      const init = tf.tensor(initialValues(spec, rng), spec.shape);
      v.write(init);
      init.dispose();
      this.byName.set(spec.name, v);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const read: ParamReader = (name) => {
        const v = this.byName.get(name);
        if (!v) throw new Error(`${this.name}: unknown parameter "${name}"`);
        return v.read();
      };
      return this.forward(read, list, kwargs ?? {});
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
