// Gradient checkpointing: the same loss and gradients as the plain backward pass, less peak memory, no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng } from '@evdm/core';
import { useCpu } from '../../../test-utils/tf';
import { DenoisingUNet } from '../src/models/unet';
import { TABLE8_VARIANTS } from '../src/models/presets';
import { rematerialized } from '../src/models/rematerialize';
import type { NetworkConfigInput } from '../src/models/network-config';
import { TINY_NETWORK } from './tiny-network.helpers';

const tiny = TINY_NETWORK;

function lossAndGrads(
  net: DenoisingUNet,
  params: ParamStore,
  rematerialize: boolean,
): { loss: number; grads: Map<string, Float32Array> } {
  const cfg = net.config;
  const rng = new Rng(7);
  const b = 2;
  const s = cfg.imageSize;
  const cx = cfg.currentFrames * cfg.imageChannels;
  const cc = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
  const xt = tf.tensor4d(rng.normalArray(b * s * s * cx), [b, s, s, cx]);
  const cond = tf.tensor4d(rng.normalArray(b * s * s * cc), [b, s, s, cc]);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.mean(
        tf.square(tf.sub(xt, net.apply(params.read, xt, [3, 640], cond, { training: true, seed: 5, rematerialize }))),
      ) as tf.Scalar,
    params.trainableVariables(),
  );
  const out = {
    loss: value.dataSync()[0],
    grads: new Map(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])),
  };
  tf.dispose([value, ...Object.values(grads), xt, cond]);
  return out;
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Max difference relative to the parameter's gradient scale, floored at 1% of the largest gradient
 * of the network: biases that feed a GroupNorm have analytically zero gradients (float noise ~1e-9),
 * where a plain relative error means nothing.
 */
function relErr(a: Float32Array, b: Float32Array, floor: number): number {
  let num = 0;
  for (let i = 0; i < a.length; i++) num = Math.max(num, Math.abs(a[i] - b[i]));
  return num / Math.max(maxAbs(b), floor);
}

describe('rematerialized U-Net steps (gradient checkpointing)', () => {
  beforeAll(useCpu);
  const variants: Record<string, NetworkConfigInput> = {
    'MCVD baseline, dropout 0.1': { ...tiny, ...TABLE8_VARIANTS['baseline'], dropout: 0.1 } as NetworkConfigInput,
    'EVDM-L (BRP, split, SO, gated attention)': { ...tiny, ...TABLE8_VARIANTS['EVDM-L'] } as NetworkConfigInput,
    'MCVD SPADE (conditioning enters every block)': { ...tiny, arch: 'mcvd', spade: { hiddenChannels: 8 } },
  };
  for (const [name, cfg] of Object.entries(variants)) {
    it(`${name}: loss and every gradient equal the plain backward pass, no leaked tensors`, () => {
      const net = new DenoisingUNet(cfg);
      const params = new ParamStore(net.paramSpecs(), new Rng(1));
      const plain = lossAndGrads(net, params, false);
      const before = tf.memory().numTensors;
      const remat = lossAndGrads(net, params, true);
      expect(tf.memory().numTensors).toBe(before);
      expect(remat.loss).toBeCloseTo(plain.loss, 6);
      expect(remat.grads.size).toBe(params.trainableVariables().length);
      const floor = 0.01 * Math.max(...[...plain.grads.values()].map(maxAbs));
      let worst = 0;
      for (const [k, g] of plain.grads) worst = Math.max(worst, relErr(remat.grads.get(k)!, g, floor));
      expect(worst).toBeLessThan(1e-5);
      params.dispose();
    });
  }

  it('keeps less memory alive at the peak of the pass', async () => {
    const net = new DenoisingUNet({ ...tiny, ...TABLE8_VARIANTS['EVDM-L'], baseChannels: 16 } as NetworkConfigInput);
    const params = new ParamStore(net.paramSpecs(), new Rng(1));
    const peak = async (rematerialize: boolean) =>
      (
        await tf.profile(() => {
          const { grads } = lossAndGradsTensors(net, params, rematerialize);
          tf.dispose(Object.values(grads));
        })
      ).peakBytes;
    const plainPeak = await peak(false);
    const rematPeak = await peak(true);
    console.log(`peak bytes of a training pass: plain ${plainPeak}, rematerialized ${rematPeak}`);
    expect(rematPeak).toBeLessThan(0.8 * plainPeak);
    params.dispose();
  });

  it('a step that reads a parameter missing from its list fails with a clear error', () => {
    const w = tf.variable(tf.ones([2]));
    const read = (name: string) => (name === 'w' ? w : tf.ones([2]));
    expect(() =>
      tf.variableGrads(
        () => tf.sum(rematerialized((r, [x]) => tf.mul(tf.mul(x, r('w')), r('other')), read, ['w'], [tf.ones([2])])) as tf.Scalar,
        [w],
      ),
    ).toThrow(/reads parameter "other" that is not in its parameter list/);
    w.dispose();
  });
});

function lossAndGradsTensors(net: DenoisingUNet, params: ParamStore, rematerialize: boolean) {
  const cfg = net.config;
  const rng = new Rng(7);
  const s = cfg.imageSize;
  return tf.tidy(() => {
    const xt = tf.tensor4d(rng.normalArray(2 * s * s), [2, s, s, 1]);
    const cond = tf.tensor4d(rng.normalArray(2 * s * s * cfg.pastFrames), [2, s, s, cfg.pastFrames]);
    return tf.variableGrads(
      () =>
        tf.mean(
          tf.square(tf.sub(xt, net.apply(params.read, xt, [3, 640], cond, { training: true, seed: 5, rematerialize }))),
        ) as tf.Scalar,
      params.trainableVariables(),
    );
  });
}
