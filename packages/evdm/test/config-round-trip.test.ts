// Every config of evdm follows one idiom (resolve / toJSON / fromJSON) and survives JSON:
// JSON.stringify -> JSON.parse -> fromJSON gives the same config and the same computation.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ParamStore, type Block, type ParamSpec } from '@evdm/core';
import { NoiseSchedule, type ScheduleConfigInput } from '@evdm/diffusion';
import { BottleneckResidualPathway, McvdResBlock, type BrpConfig, type McvdResBlockConfig } from '@evdm/layers-brp';
import { SpatialSelfAttention, type SpatialSelfAttentionConfig } from '@evdm/attention-mixed';
import { DenoisingUNet } from '../src/models/unet';
import { DATASET_PRESETS, TABLE8_VARIANTS, modelConfig, type DatasetName, type ModelName } from '../src/models/presets';
import type { NetworkConfigInput } from '../src/models/network-config';
import { RunConfig } from '../src/train/run-config';
import { TrainConfig } from '../src/train/train-config';
import { maxAbsDiff } from '../../../test-utils/tf';

const viaJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

/** Names, shapes, init kinds and any explicit initial values (the FAVOR+ projection) of two spec lists agree. */
function expectSameSpecs(a: ParamSpec[], b: ParamSpec[]): void {
  expect(b.map((s) => s.name)).toEqual(a.map((s) => s.name));
  expect(b).toEqual(a);
}

/** Same specs, same FLOPs, and bit-identical outputs for the same weights and input. */
function expectSameBlock<C>(a: Block<C>, b: Block<C>, x: tf.Tensor4D, ctx: C): void {
  expectSameSpecs(a.paramSpecs(), b.paramSpecs());
  expect(b.flops(2, x.shape[1], x.shape[2])).toEqual(a.flops(2, x.shape[1], x.shape[2]));
  const store = new ParamStore(a.paramSpecs(), 7);
  const ya = a.apply(store.read, x, ctx);
  const yb = b.apply(store.read, x, ctx);
  expect(maxAbsDiff(yb.dataSync(), ya.dataSync())).toBe(0);
  tf.dispose([ya, yb]);
  store.dispose();
}

describe('config idiom: every config round-trips through JSON', () => {
  it('noise schedules (linear, cosine, v-prediction): same config, same float64 tables', () => {
    const inputs: ScheduleConfigInput[] = [{}, { kind: 'cosine' }, { kind: 'linear', T: 50, betaStart: 1e-3, prediction: 'v' }];
    for (const input of inputs) {
      const s = new NoiseSchedule(input);
      expect(NoiseSchedule.resolve(input)).toEqual(s.toJSON());
      for (const back of [NoiseSchedule.fromJSON(viaJson(s)), NoiseSchedule.fromJSON(JSON.stringify(s))]) {
        expect(back.toJSON()).toEqual(s.toJSON());
        expect(Array.from(back.alphasCumprod)).toEqual(Array.from(s.alphasCumprod));
        expect(Array.from(back.posteriorVariance)).toEqual(Array.from(s.posteriorVariance));
      }
    }
  });

  it('BRP blocks (EVDM, EVDM-L, resampling, affine bottleneck, SiLU): same config, specs, FLOPs and output', () => {
    const base = { name: 'b', inChannels: 16, outChannels: 32, tembChannels: 32 };
    const cfgs: BrpConfig[] = [
      base,
      { ...base, delta: 8, channelSplit: true, shortcutGroups: 4, enhancementWidth: 'C' },
      { ...base, inChannels: 32, resample: 'down', temporalEnhancement: false },
      { ...base, resample: 'up', activation: 'silu', dropout: 0 },
    ];
    const temb = tf.randomNormal([2, 32], 0, 1, 'float32', 3) as tf.Tensor2D;
    for (const cfg of cfgs) {
      const a = new BottleneckResidualPathway(cfg);
      expect(BottleneckResidualPathway.resolve(cfg)).toEqual(a.toJSON());
      const b = BottleneckResidualPathway.fromJSON(viaJson(a));
      expect(b.toJSON()).toEqual(a.toJSON());
      const x = tf.randomNormal([2, 8, 8, a.config.inChannels], 0, 1, 'float32', 4) as tf.Tensor4D;
      expectSameBlock(a, b, x, { temb });
      x.dispose();
    }
    temb.dispose();
  });

  it('MCVD residual blocks (plain, down-sampling, SPADE): same config, specs, FLOPs and output', () => {
    const base = { name: 'm', inChannels: 8, outChannels: 16, tembChannels: 32 };
    const cfgs: McvdResBlockConfig[] = [
      base,
      { ...base, resample: 'down', dropout: 0.2 },
      { ...base, spade: { condChannels: 3, hiddenChannels: 8 } },
    ];
    const temb = tf.randomNormal([2, 32], 0, 1, 'float32', 5) as tf.Tensor2D;
    const cond = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    for (const cfg of cfgs) {
      const a = new McvdResBlock(cfg);
      expect(McvdResBlock.resolve(cfg)).toEqual(a.toJSON());
      const b = McvdResBlock.fromJSON(JSON.stringify(a));
      expect(b.toJSON()).toEqual(a.toJSON());
      const x = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
      expectSameBlock(a, b, x, { temb, cond });
      x.dispose();
    }
    tf.dispose([temb, cond]);
  });

  it('attention blocks (softmax, FAVOR+, gate, feature and redraw options): same config, projection and output', () => {
    const base = { name: 'a', channels: 16, headChannels: 8 };
    const cfgs: SpatialSelfAttentionConfig[] = [
      base,
      { ...base, mode: 'favor', features: 'd-log-d', featureSeed: 3 },
      {
        ...base,
        mode: 'gate',
        lambda: 4,
        features: 5,
        redraw: { policy: 'every-n', n: 10 },
        stabilize: 'performer',
        favorEpsilon: 1e-4,
      },
    ];
    const x = tf.randomNormal([2, 8, 8, 16], 0, 1, 'float32', 8) as tf.Tensor4D;
    for (const cfg of cfgs) {
      const a = new SpatialSelfAttention(cfg);
      expect(SpatialSelfAttention.resolve(cfg)).toEqual(a.toJSON());
      const b = SpatialSelfAttention.fromJSON(viaJson(a));
      expect(b.toJSON()).toEqual(a.toJSON());
      expect(b.config).toEqual(a.config);
      expectSameBlock(a, b, x, {});
    }
    x.dispose();
  });

  it('networks of every preset (3 models x 5 datasets, the 9 Table 8 variants): same config, specs and FLOPs', () => {
    const inputs: NetworkConfigInput[] = [];
    for (const model of ['mcvd', 'evdm', 'evdm-l'] as ModelName[]) {
      for (const dataset of Object.keys(DATASET_PRESETS) as DatasetName[]) inputs.push(modelConfig(model, dataset));
    }
    const kth = DATASET_PRESETS.kth;
    for (const v of Object.values(TABLE8_VARIANTS)) {
      inputs.push({
        ...v,
        baseChannels: kth.baseChannels,
        imageChannels: kth.imageChannels,
        pastFrames: kth.pastFrames,
        currentFrames: kth.currentFrames,
      });
    }
    expect(inputs.length).toBe(24);
    for (const input of inputs) {
      const a = new DenoisingUNet(input);
      expect(DenoisingUNet.resolve(input)).toEqual(a.toJSON());
      const b = DenoisingUNet.fromJSON(viaJson(a));
      expect(b.toJSON()).toEqual(a.toJSON());
      expect(DenoisingUNet.resolve(viaJson(a) as NetworkConfigInput)).toEqual(a.config);
      expect(b.paramSpecs().map((s) => [s.name, s.shape.join('x'), s.init.kind])).toEqual(
        a.paramSpecs().map((s) => [s.name, s.shape.join('x'), s.init.kind]),
      );
      expect(b.flops(1)).toEqual(a.flops(1));
    }
  });

  it('a network rebuilt from JSON computes the same eps (tiny EVDM-L-style net with gate attention)', () => {
    const a = new DenoisingUNet({
      arch: 'evdm',
      baseChannels: 16,
      channelMult: [1, 2],
      imageSize: 16,
      attnResolutions: [8],
      pastFrames: 2,
      currentFrames: 1,
      brp: { delta: 8, channelSplit: true, shortcutGroups: 4, enhancementWidth: 'C' },
      attention: { mode: 'gate', lambda: 1 },
    });
    const b = DenoisingUNet.fromJSON(JSON.stringify(a));
    expectSameSpecs(a.paramSpecs(), b.paramSpecs());
    const store = new ParamStore(a.paramSpecs(), 11);
    const xt = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const cond = tf.randomNormal([2, 16, 16, 2], 0, 1, 'float32', 10) as tf.Tensor4D;
    const ya = a.apply(store.read, xt, [3, 700], cond);
    const yb = b.apply(store.read, xt, [3, 700], cond);
    expect(maxAbsDiff(yb.dataSync(), ya.dataSync())).toBe(0);
    tf.dispose([xt, cond, ya, yb]);
    store.dispose();
  });

  it('train and run configs: resolve, JSON, fromJSON gives the same config', () => {
    const train = TrainConfig.resolve({ steps: 10, batchSize: 2 });
    expect(TrainConfig.fromJSON(JSON.stringify(train))).toEqual(train);
    const run = RunConfig.resolve({
      network: { preset: { model: 'evdm-l', dataset: 'kth' }, imageSize: 32 },
      data: { source: 'synthetic', seed: 3 },
      train: { steps: 10 },
      schedule: { kind: 'cosine' },
      preview: { sampler: 'ddim', steps: 5 },
    });
    expect(run.network.arch).toBe('evdm');
    expect(RunConfig.fromJSON(JSON.stringify(run))).toEqual(run);
    expect(RunConfig.fromJSON(viaJson(run))).toEqual(run);
    expect(() => RunConfig.fromJSON('{not json')).toThrow(/RunConfig: fromJSON got a string that is not JSON/);
  });
});
