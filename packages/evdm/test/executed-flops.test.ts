// The analytic FLOP counts (paper convention) against the multiply-adds of the kernels that run.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng } from '@evdm/core';
import { useCpu } from '../../../test-utils/tf';
import { DenoisingUNet } from '../src/models/unet';
import { modelConfig } from '../src/models/presets';
import { profileNetwork } from '../src/profile/profiler';
import { measureExecutedFlops } from '../src/profile/executed-flops';

beforeAll(useCpu);

const small = {
  baseChannels: 16,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  pastFrames: 2,
  currentFrames: 1,
  headChannels: 16,
};

describe('executed conv/matmul MACs vs the analytic profile', () => {
  for (const model of ['mcvd', 'evdm', 'evdm-l'] as const) {
    it(`${model}: executed conv + matmul MACs = analytic conv + attention + linear + per-block time projections`, async () => {
      const net = new DenoisingUNet(modelConfig(model, 'smmnist', small));
      const params = new ParamStore(net.paramSpecs(), new Rng(0));
      const before = tf.memory().numTensors;
      const e = await measureExecutedFlops(net, params, { batch: 2 });
      expect(tf.memory().numTensors).toBe(before);
      const a = profileNetwork(net, 2);
      const analytic = (a.byKind.conv ?? 0) + (a.byKind.attention ?? 0) + (a.byKind.linear ?? 0);
      const executed = e.conv + e.matmul;
      // fvcore leaves out the per-block time-embedding Linears (they do run): add them from the weights.
      const projections = net
        .paramSpecs()
        .filter((s) => /\/(dense|enhance)\/kernel$/.test(s.name) && !s.name.startsWith('temb/'))
        .reduce((n, s) => n + 2 * s.shape[0] * s.shape[1], 0);
      expect(projections).toBeGreaterThan(0);
      expect(Math.abs(executed - (analytic + projections)) / analytic).toBeLessThan(1e-3);
      if (model === 'mcvd') expect(e.conv).toBe(a.byKind.conv); // dense convs only: exact
      expect(e.kernels.Conv2D ?? e.kernels.FusedConv2D).toBeGreaterThan(0);
      params.dispose();
    });
  }
});
