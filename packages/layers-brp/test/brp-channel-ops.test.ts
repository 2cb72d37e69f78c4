import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, relL2, useCpu } from '../../../test-utils/tf';
import { BottleneckResidualPathway } from '../src/brp';
import { getBrpChannelOps, setBrpChannelOps } from '../src/brp-channel-ops';
import { FUSION_CASES, fusedStepLeaks, randomStore, runBlock } from './brp-fusion-cases';

beforeAll(useCpu);
afterEach(() => setBrpChannelOps('fused'));

const TOL = 1e-4;

describe("BRP channel ops: 'fused' (channelGather) vs 'composed' (slice/concat/shuffle/add/mul)", () => {
  it("defaults to 'fused'; unknown modes are rejected", () => {
    expect(getBrpChannelOps()).toBe('fused');
    expect(() => setBrpChannelOps('nope' as never)).toThrow(/setBrpChannelOps: unknown mode "nope"/);
  });

  for (const c of FUSION_CASES) {
    it(`${c.label}: forward and the gradient of x, temb and every parameter`, () => {
      const specs = new BottleneckResidualPathway(c.cfg).paramSpecs();
      const store = randomStore(specs, 5);
      const fused = runBlock(c, 'fused', store);
      const composed = runBlock(c, 'composed', store);
      const names = ['output', 'x', 'temb', ...specs.map((s) => s.name)];
      expect(fused.length).toBe(names.length);
      composed.forEach((want, i) => {
        expect(relL2(fused[i], want), names[i]).toBeLessThan(TOL);
        // a gradient that is all zeros would make the comparison vacuous
        expect(Math.max(...want.map(Math.abs)), `${names[i]} is non-zero`).toBeGreaterThan(0);
      });
      tf.dispose(store.variableList());
    });
  }

  it('SiLU(temb) precomputed in ctx.tembAct gives the same output and gradients, and the block then runs no Sigmoid', async () => {
    for (const c of [FUSION_CASES[0], FUSION_CASES[10]]) {
      const store = randomStore(new BottleneckResidualPathway(c.cfg).paramSpecs(), 9);
      const own = runBlock(c, 'fused', store);
      const pre = runBlock(c, 'fused', store, { tembAct: true });
      own.forEach((want, i) => expect(relL2(pre[i], want)).toBeLessThan(TOL));
      const block = new BottleneckResidualPathway(c.cfg);
      const x = tf.randomNormal(c.x) as tf.Tensor4D;
      const temb = tf.randomNormal([c.x[0], 8]) as tf.Tensor2D;
      const tembAct = tf.mul(temb, tf.sigmoid(temb)) as tf.Tensor2D;
      const kernels = async (ctx: { temb: tf.Tensor2D; tembAct?: tf.Tensor2D }) =>
        (await tf.profile(() => block.apply(store.read, x, ctx))).kernels.filter((k) => k.name === 'Sigmoid').length;
      expect(await kernels({ temb, tembAct })).toBe(0);
      expect(await kernels({ temb })).toBe(1); // once per block, not once per enhancement Linear
      expect(() => block.apply(store.read, x, { temb, tembAct: tf.zeros([c.x[0], 3]) as tf.Tensor2D })).toThrow(
        /ctx\.tembAct \(SiLU\(temb\)\) must have shape \[\d+, 8\], got \[\d+,3\]/,
      );
      tf.dispose([x, temb, tembAct, ...store.variableList()]);
    }
  });

  it('weights saved while running one path load into the other with identical outputs (same on-disk layout)', async () => {
    for (const c of FUSION_CASES.slice(0, 5)) {
      const block = new BottleneckResidualPathway(c.cfg);
      const a = randomStore(block.paramSpecs(), 21);
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 4) as tf.Tensor4D;
      const temb = tf.randomNormal([c.x[0], 8], 0, 1, 'float32', 6) as tf.Tensor2D;
      for (const [from, to] of [
        ['fused', 'composed'],
        ['composed', 'fused'],
      ] as const) {
        setBrpChannelOps(from);
        const y0 = block.apply(a.read, x, { temb });
        const { data, specs } = await a.encode();
        const b = randomStore(block.paramSpecs(), 99);
        b.decodeAndLoad(data, specs);
        setBrpChannelOps(to);
        const y1 = block.apply(b.read, x, { temb });
        expect(maxAbsDiff(y1.dataSync(), y0.dataSync())).toBe(0);
        tf.dispose([y0, y1, ...b.variableList()]);
      }
      tf.dispose([x, temb, ...a.variableList()]);
    }
  });

  it('no tensor leaks in the fused path, forward and backward', () => {
    expect(fusedStepLeaks(FUSION_CASES[2])).toBe(0);
  });
});
