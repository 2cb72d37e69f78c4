import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ParamStore, Rng } from '@evdm/core';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { SpatialSelfAttentionLayer } from '../src/layers';
import { SpatialSelfAttention } from '../src/spatial-self-attention';

describe('SpatialSelfAttentionLayer (tfjs-layers adapter)', () => {
  beforeAll(useCpu);

  it('matches the plain block, keeps the projection as a non-trainable weight, trains, saves and reloads', async () => {
    const cfg = { name: 'attn', channels: 8, headChannels: 4, mode: 'favor' as const, seed: 3 };
    const layer = new SpatialSelfAttentionLayer(cfg);
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [3, 3, 8] }), layer] });
    const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 1);
    const blk = new SpatialSelfAttention(cfg);
    const store = new ParamStore(blk.paramSpecs(), new Rng(3));
    const yPlain = blk.apply(store.read, x as tf.Tensor4D);
    expect(maxAbsDiff((model.predict(x) as tf.Tensor).dataSync(), yPlain.dataSync())).toBe(0);
    expect(layer.trainableWeights.length).toBe(10);
    expect(layer.nonTrainableWeights.map((w) => w.originalName)).toEqual(['attn/attn/favor/projection']); // layer scope + block name
    const projBefore = layer.nonTrainableWeights[0].read().dataSync().slice();

    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const target = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 2);
    const h = await model.fit(x, target, { epochs: 4, verbose: 0 });
    expect(h.history.loss[3] as number).toBeLessThan(h.history.loss[0] as number);
    expect(maxAbsDiff(layer.nonTrainableWeights[0].read().dataSync(), projBefore)).toBe(0);

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(maxAbsDiff((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync())).toBe(0);
    const reloaded = loaded.layers.find((l) => l instanceof SpatialSelfAttentionLayer) as SpatialSelfAttentionLayer;
    const cfgOut = reloaded.getConfig();
    expect(cfgOut).toMatchObject({
      channels: 8,
      headChannels: 4,
      mode: 'favor',
      lambda: 2,
      features: 'half-head',
      redraw: { policy: 'fixed' },
      eps: 1e-6,
    });
    store.dispose();
  });

  it('rejects an input with the wrong channel count at build time', () => {
    const layer = new SpatialSelfAttentionLayer({ name: 'a2', channels: 8, headChannels: 4 });
    expect(() => tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [3, 3, 6] }), layer] })).toThrow(/8 channels/);
  });
});
