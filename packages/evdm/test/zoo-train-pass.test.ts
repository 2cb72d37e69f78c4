// Every network variant runs forward + backward without leaks; gradients are right (finite differences).
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng } from '@evdm/core';
import { directionalGradCheck, useCpu } from '../../../test-utils/tf';
import { selectBackend } from '@evdm/backend';
import { DenoisingUNet } from '../src/models/unet';
import { modelConfig, TABLE8_VARIANTS } from '../src/models/presets';
import type { NetworkConfigInput } from '../src/models/network-config';

const tiny = {
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  imageChannels: 1,
  pastFrames: 2,
  currentFrames: 1,
  headChannels: 8,
};

function trainPass(net: DenoisingUNet, params: ParamStore, b: number, seed: number): number {
  const cfg = net.config;
  const rng = new Rng(seed);
  const s = cfg.imageSize;
  const xt = tf.tensor4d(rng.normalArray(b * s * s * cfg.currentFrames * cfg.imageChannels), [
    b,
    s,
    s,
    cfg.currentFrames * cfg.imageChannels,
  ]);
  const cc = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
  const cond = tf.tensor4d(rng.normalArray(b * s * s * cc), [b, s, s, cc]);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.mean(
        tf.square(
          tf.sub(
            xt,
            net.apply(
              params.read,
              xt,
              Array.from({ length: b }, (_, i) => (i * 37 + 5) % 1000),
              cond,
              { training: true, seed },
            ),
          ),
        ),
      ) as tf.Scalar,
    params.trainableVariables(),
  );
  const loss = value.dataSync()[0];
  const finite = Object.values(grads).every((g) => tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0]) === 1);
  expect(Object.keys(grads).length).toBe(params.trainableVariables().length);
  expect(finite).toBe(true);
  tf.dispose([value, ...Object.values(grads), xt, cond]);
  return loss;
}

describe('forward + backward of every variant (tiny widths)', () => {
  beforeAll(useCpu);
  const variants: Record<string, NetworkConfigInput> = {
    ...Object.fromEntries(Object.entries(TABLE8_VARIANTS).map(([k, v]) => [k, { ...tiny, ...v } as NetworkConfigInput])),
    'mcvd-spade': { ...tiny, arch: 'mcvd', spade: { hiddenChannels: 8 } },
    'evdm-l-interpolation': { ...tiny, futureFrames: 1, ...TABLE8_VARIANTS['EVDM-L'] } as NetworkConfigInput,
  };
  for (const [name, cfg] of Object.entries(variants)) {
    it(`${name}: finite loss and gradients for every parameter, no leaked tensors`, () => {
      const net = new DenoisingUNet(cfg);
      const params = new ParamStore(net.paramSpecs(), new Rng(1));
      trainPass(net, params, 2, 3);
      const before = tf.memory().numTensors;
      const l1 = trainPass(net, params, 2, 3);
      const l2 = trainPass(net, params, 2, 3);
      expect(tf.memory().numTensors).toBe(before);
      expect(l1).toBe(l2); // same seed: dropout and FAVOR+ are deterministic
      params.dispose();
    });
  }

  it('gradient of the whole EVDM-L network matches finite differences (random directions)', () => {
    // SiLU before the bottleneck keeps the function smooth, so the finite difference is exact to O(eps²)
    // (with the paper's ReLU the kinks alone give ~3e-3).
    const net = new DenoisingUNet({
      ...tiny,
      arch: 'evdm',
      brp: { delta: 8, channelSplit: true, shortcutGroups: 4, activation: 'silu' },
      attention: { mode: 'gate' },
      dropout: 0,
    });
    const params = new ParamStore(net.paramSpecs(), new Rng(2));
    // the output conv is zero-initialised (MCVD): give it weights so the input gradient is non-trivial
    const k = params.read('conv_out/kernel') as tf.Variable;
    k.assign(tf.randomNormal(k.shape, 0, 0.1, 'float32', 9));
    const xt = tf.randomNormal([1, 16, 16, 1], 0, 1, 'float32', 4);
    const cond = tf.randomNormal([1, 16, 16, 2], 0, 1, 'float32', 5);
    const err = directionalGradCheck((x, c) => net.apply(params.read, x as tf.Tensor4D, [700], c as tf.Tensor4D), [xt, cond], {
      eps: 3e-3,
    });
    expect(err).toBeLessThan(1e-2);
    params.dispose();
  });

  it('a full-size preset (EVDM-L, SM-MNIST, batch 1) trains a step without leaks (wasm + training kernels)', async () => {
    await selectBackend({ backend: 'wasm', log: () => {} });
    const net = new DenoisingUNet(modelConfig('evdm-l', 'smmnist'));
    const params = new ParamStore(net.paramSpecs(), new Rng(0));
    const before = tf.memory().numTensors;
    expect(Number.isFinite(trainPass(net, params, 1, 7))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    params.dispose();
    await useCpu();
  });

  it('rejects inputs of the wrong shape with a clear message', () => {
    const net = new DenoisingUNet({ ...tiny, arch: 'mcvd' });
    const params = new ParamStore(net.paramSpecs(), new Rng(0));
    expect(() => net.apply(params.read, tf.zeros([1, 16, 16, 3]) as tf.Tensor4D, [1], null)).toThrow(
      /x_t must be \[B, 16, 16, 1\], got \[1,16,16,3\]/,
    );
    expect(() => net.apply(params.read, tf.zeros([2, 16, 16, 1]) as tf.Tensor4D, [1], null)).toThrow(/one timestep per sample/);
    expect(() =>
      net.apply(params.read, tf.zeros([1, 16, 16, 1]) as tf.Tensor4D, [1], tf.zeros([1, 16, 16, 5]) as tf.Tensor4D),
    ).toThrow(/conditioning frames must be \[1, 16, 16, 2\]/);
    params.dispose();
  });
});
