import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ParamStore, Rng } from '@evdm/core';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { BottleneckResidualPathwayLayer, McvdResBlockLayer } from '../src/layers';
import { McvdResBlock } from '../src/mcvd-resblock';
import { BottleneckResidualPathway } from '../src/brp';

describe('tfjs-layers adapters', () => {
  beforeAll(useCpu);

  it('McvdResBlockLayer: same weights/output as the plain block with the same seed; serialises', async () => {
    const cfg = { name: 'res0', inChannels: 8, outChannels: 16, tembChannels: 12, resample: 'down' as const, seed: 4 };
    const xIn = tfl.input({ shape: [8, 8, 8] });
    const tIn = tfl.input({ shape: [12] });
    const layer = new McvdResBlockLayer(cfg);
    const out = layer.apply([xIn, tIn]) as tfl.SymbolicTensor;
    expect(out.shape).toEqual([null, 4, 4, 16]);
    const model = tfl.model({ inputs: [xIn, tIn], outputs: out });
    const x = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 1);
    const t = tf.randomNormal([2, 12], 0, 1, 'float32', 2);
    const y = model.predict([x, t]) as tf.Tensor;
    const blk = new McvdResBlock(cfg);
    const store = new ParamStore(blk.paramSpecs(), new Rng(4));
    const w = layer.getWeights();
    // tfjs-layers scopes weight names by the layer name
    expect(layer.weights.map((v) => v.originalName)).toEqual(blk.paramSpecs().map((s) => `res0/${s.name}`));
    expect(maxAbsDiff(y.dataSync(), blk.apply(store.read, x as tf.Tensor4D, { temb: t as tf.Tensor2D }).dataSync())).toBe(0);
    expect(w.reduce((n, v) => n + v.size, 0)).toBe(blk.paramCount());

    const cfgOut = layer.getConfig() as Record<string, unknown>;
    expect(cfgOut).toMatchObject({
      name: 'res0',
      inChannels: 8,
      outChannels: 16,
      tembChannels: 12,
      resample: 'down',
      dropout: 0.1,
      seed: 4,
    });
    const json = model.toJSON(undefined, false) as object;
    const restored = await tfl.models.modelFromJSON({ modelTopology: json } as never);
    restored.setWeights(model.getWeights());
    const y2 = restored.predict([x, t]) as tf.Tensor;
    expect(maxAbsDiff(y.dataSync(), y2.dataSync())).toBe(0);
    store.dispose();
  });

  it('BottleneckResidualPathwayLayer trains inside a tfjs-layers model (EVDM-L options) and round-trips its config', async () => {
    const cfg = {
      name: 'brp0',
      inChannels: 8,
      outChannels: 8,
      tembChannels: 4,
      delta: 4,
      channelSplit: true,
      shortcutGroups: 4,
      resample: 'up' as const,
      seed: 1,
    };
    const xIn = tfl.input({ shape: [4, 4, 8] });
    const tIn = tfl.input({ shape: [4] });
    const layer = new BottleneckResidualPathwayLayer(cfg);
    const model = tfl.model({ inputs: [xIn, tIn], outputs: layer.apply([xIn, tIn]) as tfl.SymbolicTensor });
    expect(model.outputs[0]!.shape).toEqual([null, 8, 8, 8]);
    const x = tf.randomNormal([4, 4, 4, 8], 0, 1, 'float32', 3);
    const t = tf.randomNormal([4, 4], 0, 1, 'float32', 4);
    const target = tf.randomNormal([4, 8, 8, 8], 0, 1, 'float32', 5);
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
    const h = await model.fit([x, t], target, { epochs: 4, verbose: 0, batchSize: 4 });
    const loss = h.history['loss'] as number[];
    expect(loss[3]!).toBeLessThan(loss[0]!);
    const blk = new BottleneckResidualPathway(cfg);
    expect(layer.countParams()).toBe(blk.paramCount());
    const cfgOut = layer.getConfig() as Record<string, unknown>;
    expect(cfgOut).toMatchObject({
      delta: 4,
      channelSplit: true,
      shortcutGroups: 4,
      enhancementWidth: '2C',
      temporalEnhancement: true,
    });
    const again = new BottleneckResidualPathwayLayer(cfgOut as never);
    expect(again.getConfig()).toEqual(cfgOut);
  });
});
