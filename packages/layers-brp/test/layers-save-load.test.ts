// Every layer class of this package through a real `model.save()` -> `tf.loadLayersModel()` round
// trip (the saved topology goes through JSON text, as a model.json file does), with default and
// non-default options: the reloaded model gives the same output and the same config.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { saveAndLoad } from '../../../test-utils/layers-io';
import { BottleneckResidualPathwayLayer, McvdResBlockLayer } from '../src/layers';

type Layer = McvdResBlockLayer | BottleneckResidualPathwayLayer;

async function roundTrip(layer: Layer, hw: number, cin: number, temb: number, cond?: number) {
  const inputs = [tfl.input({ shape: [hw, hw, cin] }), tfl.input({ shape: [temb] })];
  if (cond) inputs.push(tfl.input({ shape: [hw, hw, cond] }));
  const model = tfl.model({ inputs, outputs: layer.apply(inputs) as tfl.SymbolicTensor });
  const feed = [tf.randomNormal([2, hw, hw, cin], 0, 1, 'float32', 11), tf.randomNormal([2, temb], 0, 1, 'float32', 12)];
  if (cond) feed.push(tf.randomNormal([2, hw, hw, cond], 0, 1, 'float32', 13));
  const { loaded, topology } = await saveAndLoad(model);
  const again = loaded.layers.find((l) => l.getClassName() === layer.getClassName()) as Layer;
  expect(again).toBeDefined();
  expect(again.getConfig()).toEqual(layer.getConfig());
  const y = model.predict(feed) as tf.Tensor;
  const y2 = loaded.predict(feed) as tf.Tensor;
  expect(y2.shape).toEqual(y.shape);
  expect(maxAbsDiff(y2.dataSync(), y.dataSync())).toBe(0);
  tf.dispose([...feed, y, y2]);
  return JSON.stringify(topology);
}

describe('model.save -> tf.loadLayersModel', () => {
  beforeAll(useCpu);

  it('BottleneckResidualPathwayLayer with the defaults (enhancementWidth 2C, saved as "2c")', async () => {
    const layer = new BottleneckResidualPathwayLayer({ name: 'brp', inChannels: 8, outChannels: 8, tembChannels: 4, seed: 2 });
    const text = await roundTrip(layer, 4, 8, 4);
    expect(text).toContain('"enhancement_width":"2c"'); // what tfjs-layers writes; the loader must accept it
  });

  it('BottleneckResidualPathwayLayer with every option changed (EVDM-L split, SO groups, width C, silu, down)', async () => {
    const layer = new BottleneckResidualPathwayLayer({
      name: 'brpL',
      layerName: 'myBrp',
      inChannels: 16,
      outChannels: 32,
      tembChannels: 8,
      resample: 'down',
      delta: 8,
      temporalEnhancement: true,
      channelSplit: true,
      shortcutGroups: 4,
      enhancementWidth: 'C',
      dropout: 0.25,
      activation: 'silu',
      seed: 7,
    });
    const text = await roundTrip(layer, 8, 16, 8);
    expect(text).toContain('"enhancement_width":"c"');
    expect(layer.getConfig()).toMatchObject({ enhancementWidth: 'C', activation: 'silu', resample: 'down', delta: 8 });
  });

  it('BottleneckResidualPathwayLayer without temporal enhancement, upsampling', async () => {
    const layer = new BottleneckResidualPathwayLayer({
      name: 'brpU',
      inChannels: 8,
      outChannels: 4,
      tembChannels: 4,
      resample: 'up',
      temporalEnhancement: false,
      seed: 3,
    });
    await roundTrip(layer, 4, 8, 4);
  });

  it('McvdResBlockLayer with the defaults', async () => {
    await roundTrip(new McvdResBlockLayer({ name: 'res', inChannels: 8, outChannels: 8, tembChannels: 4, seed: 1 }), 4, 8, 4);
  });

  it('McvdResBlockLayer with SPADE, upsampling, a channel change and another dropout', async () => {
    const layer = new McvdResBlockLayer({
      name: 'resS',
      inChannels: 8,
      outChannels: 16,
      tembChannels: 4,
      resample: 'up',
      dropout: 0.3,
      spade: { condChannels: 3, hiddenChannels: 8 },
      seed: 5,
    });
    // SPADE's condition is resized to the block's resolution: give it the input resolution
    await roundTrip(layer, 4, 8, 4, 3);
    expect(layer.getConfig()).toMatchObject({ spade: { condChannels: 3, hiddenChannels: 8 }, resample: 'up', dropout: 0.3 });
  });
});
