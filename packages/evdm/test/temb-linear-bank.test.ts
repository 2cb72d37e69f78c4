// The inference fold of every block's SiLU(temb) Linears into one matmul (temb-linear-bank.ts): the
// same outputs as the per-layer Linears and the same network output as the unfolded (taped) pass,
// rebuilt after a weight update, inactive while a gradient tape records, no leaked tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { dense, ParamStore, Rng } from '@evdm/core';
import { leakedTensors, relL2, useCpu } from '../../../test-utils/tf';
import { DenoisingUNet } from '../src/models/unet';
import { TABLE8_VARIANTS } from '../src/models/presets';
import { TembLinearBank } from '../src/models/temb-linear-bank';
import type { NetworkConfigInput } from '../src/models/network-config';
import { TINY_NETWORK } from './tiny-network.helpers';

const tiny = TINY_NETWORK;

const NETS: Record<string, NetworkConfigInput> = {
  'MCVD baseline': { ...tiny, ...TABLE8_VARIANTS['baseline'] } as NetworkConfigInput,
  'EVDM-L (BRP-eh, split, SO)': { ...tiny, ...TABLE8_VARIANTS['EVDM-L'] } as NetworkConfigInput,
  "EVDM-L, enhancement width 'C'": {
    ...tiny,
    ...TABLE8_VARIANTS['EVDM-L'],
    baseChannels: 32,
    headChannels: 16,
    brp: { ...TABLE8_VARIANTS['EVDM-L'].brp, enhancementWidth: 'C' },
  } as NetworkConfigInput,
};

function prefixesOf(net: DenoisingUNet): string[] {
  const names = net.paramSpecs().map((s) => s.name);
  return names.filter((n) => /(\/enhance|\/norm[01]\/dense)\/kernel$/.test(n)).map((n) => n.replace(/\/kernel$/, ''));
}

function inputs(net: DenoisingUNet, b = 2) {
  const cfg = net.config;
  const rng = new Rng(3);
  const s = cfg.imageSize;
  const cx = cfg.currentFrames * cfg.imageChannels;
  const cc = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
  return {
    xt: tf.tensor4d(rng.normalArray(b * s * s * cx), [b, s, s, cx]),
    cond: tf.tensor4d(rng.normalArray(b * s * s * cc), [b, s, s, cc]),
    t: [17, 640].slice(0, b),
  };
}

describe('TembLinearBank: one matmul for every block Linear on SiLU(temb) at inference', () => {
  beforeAll(useCpu);

  for (const [label, cfg] of Object.entries(NETS)) {
    it(`${label}: each folded output equals its Linear; the network output equals the unfolded pass`, () => {
      const net = new DenoisingUNet(cfg);
      const store = new ParamStore(net.paramSpecs(), 11);
      const prefixes = prefixesOf(net);
      expect(prefixes.length).toBeGreaterThan(1);
      const bank = new TembLinearBank(prefixes);
      const act = tf.randomNormal([2, 4 * net.config.baseChannels], 0, 1, 'float32', 5) as tf.Tensor2D;
      tf.tidy(() => {
        expect(bank.active()).toBe(true);
        const folded = bank.apply(store.read, act)!;
        for (const p of prefixes) expect(relL2(folded(p)!.dataSync(), dense(store.read, p, act).dataSync())).toBeLessThan(1e-6);
      });
      // the whole network: inference (folded) vs the same pass under a gradient tape (per-layer Linears)
      const { xt, cond, t } = inputs(net);
      const r = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 9);
      const loss = (x: tf.Tensor) => tf.sum(tf.mul(net.apply(store.read, x as tf.Tensor4D, t, cond), r)) as tf.Scalar;
      const folded = tf.tidy(() => loss(xt).dataSync()[0]);
      const { value, grads } = tf.valueAndGrads(loss)([xt]);
      expect(Math.abs(folded - value.dataSync()[0]) / Math.abs(value.dataSync()[0])).toBeLessThan(1e-5);
      tf.dispose([act, xt, cond, r, value, ...grads]);
      store.dispose();
    });
  }

  it('a weight update (new tensor data) rebuilds the fold; a taped call does not fold at all', () => {
    const net = new DenoisingUNet(NETS['EVDM-L (BRP-eh, split, SO)']);
    const store = new ParamStore(net.paramSpecs(), 11);
    const prefixes = prefixesOf(net);
    const bank = new TembLinearBank(prefixes);
    const act = tf.randomNormal([1, 4 * tiny.baseChannels], 0, 1, 'float32', 5) as tf.Tensor2D;
    const p = prefixes[3];
    const before = tf.tidy(() => bank.apply(store.read, act)!(p)!.dataSync().slice());
    const k = store.read(`${p}/kernel`) as tf.Variable;
    const bumped = tf.mul(k, 2);
    k.assign(bumped);
    const after = tf.tidy(() => bank.apply(store.read, act)!(p)!.dataSync().slice());
    const want = tf.tidy(() => dense(store.read, p, act).dataSync().slice());
    expect(relL2(after, want)).toBeLessThan(1e-6);
    expect(relL2(after, before)).toBeGreaterThan(1e-3);
    tf.grads((x: tf.Tensor) => {
      expect(bank.active()).toBe(false);
      expect(bank.apply(store.read, x as tf.Tensor2D)).toBeUndefined();
      return tf.sum(x);
    })([act]).forEach((g) => g.dispose());
    tf.dispose([act, bumped]);
    store.dispose();
  });

  it('inference passes leak no tensors (the fold is kept outside the engine)', () => {
    const net = new DenoisingUNet(NETS['EVDM-L (BRP-eh, split, SO)']);
    const store = new ParamStore(net.paramSpecs(), 11);
    const { xt, cond, t } = inputs(net, 1);
    net.apply(store.read, xt, t, cond).dispose(); // builds the fold
    expect(leakedTensors(() => net.apply(store.read, xt, t, cond).dispose())).toBe(0);
    tf.dispose([xt, cond]);
    store.dispose();
  });
});
