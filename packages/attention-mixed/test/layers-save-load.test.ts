// SpatialSelfAttentionLayer through a real `model.save()` -> `tf.loadLayersModel()` round trip (the
// topology through JSON text, as a model.json file) for every mode and non-default options.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { saveAndLoad } from '../../../test-utils/layers-io';
import { SpatialSelfAttentionLayer, type SpatialSelfAttentionLayerArgs } from '../src/layers';

const cases: Array<[string, SpatialSelfAttentionLayerArgs]> = [
  ['softmax defaults', { name: 'attnS', channels: 8, headChannels: 4 }],
  [
    'favor, d-log-d features, every-n redraw, Performer stabiliser and eps',
    {
      name: 'attnF',
      channels: 8,
      headChannels: 4,
      mode: 'favor',
      features: 'd-log-d',
      redraw: { policy: 'every-n', n: 10 },
      stabilize: 'performer',
      favorEpsilon: 1e-4,
      eps: 1e-5,
      featureSeed: 9,
      seed: 4,
    },
  ],
  [
    'gate with lambda 1.5, explicit feature count, one head wider than C',
    {
      name: 'attnG',
      channels: 8,
      headChannels: 16,
      mode: 'gate',
      lambda: 1.5,
      features: 3,
      seed: 2,
      trainable: false,
    },
  ],
];

describe('SpatialSelfAttentionLayer: model.save -> tf.loadLayersModel', () => {
  beforeAll(useCpu);

  for (const [what, args] of cases) {
    it(what, async () => {
      const layer = new SpatialSelfAttentionLayer(args);
      const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [3, 3, 8] }), layer] });
      const { loaded } = await saveAndLoad(model);
      const again = loaded.layers.find((l) => l instanceof SpatialSelfAttentionLayer) as SpatialSelfAttentionLayer;
      expect(again.getConfig()).toEqual(layer.getConfig());
      const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 1);
      expect(maxAbsDiff((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync())).toBe(0);
    });
  }
});
