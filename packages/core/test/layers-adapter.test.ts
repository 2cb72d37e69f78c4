import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu, maxAbsDiff } from '../../../test-utils/tf';
import { ModuleLayer } from '../src/layers-adapter';
import { ParamStore, type ParamReader, type ParamSpec } from '../src/params';

// A tiny module (per-pixel affine map) to exercise the adapter.
const specs = (c: number): ParamSpec[] => [
  { name: 'pix/kernel', shape: [c, c], init: { kind: 'varianceScaling', scale: 1 } },
  { name: 'pix/bias', shape: [c], init: { kind: 'zeros' } },
];
const apply = (read: ParamReader, x: tf.Tensor) =>
  tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, x.shape[3]!]), read('pix/kernel')), read('pix/bias')), x.shape);

class PixelLayer extends ModuleLayer {
  static className = 'EvdmTestPixelLayer';
  constructor(private readonly cfg: { channels: number; seed?: number; name?: string }) {
    super(cfg);
  }
  protected moduleSpecs() {
    return specs(this.cfg.channels);
  }
  protected forward(read: ParamReader, [x]: tf.Tensor[]) {
    return apply(read, x);
  }
  override computeOutputShape(s: tfl.Shape) {
    return s;
  }
  override getConfig() {
    return { ...super.getConfig(), channels: this.cfg.channels };
  }
}
tf.serialization.registerClass(PixelLayer);

describe('ModuleLayer adapter', () => {
  beforeAll(useCpu);

  it('gives the same weights and outputs as the plain module with the same seed, and trains', async () => {
    const store = new ParamStore(specs(3), 5);
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1);
    const layer = new PixelLayer({ channels: 3, seed: 5 });
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [4, 4, 3] }), layer] });
    const yLayer = model.predict(x) as tf.Tensor;
    const yPlain = apply(store.read, x);
    expect(maxAbsDiff(yLayer.dataSync(), yPlain.dataSync())).toBe(0);
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[3, 3], [3]]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await model.fit(x, tf.zerosLike(x), { epochs: 3, verbose: 0 });
    expect(h.history.loss[2] as number).toBeLessThan(h.history.loss[0] as number);
    const cfg = layer.getConfig() as { channels?: number; seed?: number };
    expect(cfg.channels).toBe(3);
    expect(cfg.seed).toBe(5);
    store.dispose();
  });
});
