// Dataset-backed training sources: SM-MNIST needs no download and must feed the network's layout.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../../../test-utils/tf';
import { makeClipSource, resolveRunConfig } from '../src/train/run-config';

const network = {
  arch: 'evdm',
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 64,
  attnResolutions: [32],
  imageChannels: 1,
  pastFrames: 2,
  currentFrames: 1,
};

describe('run config data sources', () => {
  beforeAll(useCpu);

  it('smmnist: batches of [-1,1] frames in the network layout, seeded', async () => {
    const cfg = resolveRunConfig({ network, data: { source: 'smmnist', seed: 3 } });
    const take = async () => {
      const src = makeClipSource(cfg.data, cfg.network, 2);
      const b = await src.next();
      expect((b.past as tf.Tensor).shape).toEqual([2, 64, 64, 2]);
      expect(b.current.shape).toEqual([2, 64, 64, 1]);
      expect(b.future).toBeUndefined();
      const v = b.current.dataSync().slice();
      tf.dispose([b.past!, b.current]);
      await src.close?.();
      return v;
    };
    const a = await take();
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    expect(Math.max(...a)).toBeGreaterThan(0); // digits are drawn
    expect(Array.from(await take())).toEqual(Array.from(a));
  });

  it('names what is wrong: unknown source, HDF5 dataset without a path, wrong frame layout', async () => {
    expect(() => resolveRunConfig({ network, data: { source: 'imagenet' } })).toThrow(/data\.source "imagenet" is unknown/);
    expect(() => resolveRunConfig({ network, data: { source: 'kth' } })).toThrow(/needs "path"/);
    const rgb = resolveRunConfig({ network: { ...network, imageChannels: 3 }, data: { source: 'smmnist' } });
    await expect(makeClipSource(rgb.data, rgb.network, 1).next()).rejects.toThrow(
      /1-channel 64x64 frames, the network expects 3-channel 64x64/,
    );
  });
});
