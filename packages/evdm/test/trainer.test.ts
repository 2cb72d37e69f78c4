// Trainer: leak-free steps, exact resume, NaN handling, config and data validation.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu } from '../../../test-utils/tf';
import { Trainer, TrainingDivergedError } from '../src/train/trainer';
import { resolveTrainConfig } from '../src/train/train-config';
import { SyntheticClipSource } from '../src/data/synthetic';
import type { ClipSource } from '../src/data/source';
import { TABLE8_VARIANTS } from '../src/models/presets';
import type { NetworkConfigInput } from '../src/models/network-config';

const tinyNet = {
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  imageChannels: 1,
  pastFrames: 2,
  currentFrames: 1,
  headChannels: 8,
  ...TABLE8_VARIANTS['EVDM-L'],
} as NetworkConfigInput;
const train = { batchSize: 2, lr: 1e-3, warmup: 2, seed: 11, logEvery: 1, checkpointEvery: 0 };
const data = (seed = 5) => new SyntheticClipSource({ batchSize: 2, imageSize: 16, past: 2, current: 1, seed });

function weights(t: Trainer): Record<string, Float32Array> {
  return Object.fromEntries(t.store.specs.map((s) => [s.name, t.store.read(s.name).dataSync() as Float32Array]));
}
function emaWeights(t: Trainer): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(t.ema.shadow).map(([n, v]) => [n, v.dataSync() as Float32Array]));
}

describe('Trainer', () => {
  beforeAll(useCpu);

  it('trains steps with finite loss, changes the weights and leaks no tensors', async () => {
    const t = new Trainer({ network: tinyNet, train: { ...train, steps: 4 }, data: data() });
    const w0 = weights(t);
    await t.trainStep();
    const before = tf.memory().numTensors;
    const rs = [await t.trainStep(), await t.trainStep(), await t.trainStep()];
    expect(tf.memory().numTensors).toBe(before);
    expect(rs.map((r) => r.step)).toEqual([2, 3, 4]);
    for (const r of rs) expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
    // warm-up: lr·min(step/warmup, 1) with completed steps 1, 2, 3
    expect(rs.map((r) => r.lr)).toEqual([5e-4, 1e-3, 1e-3]);
    const w1 = weights(t);
    expect(Object.keys(w1).some((k) => w1[k].some((v, i) => v !== w0[k][i]))).toBe(true);
    // EMA after 4 updates with rate 0.999 sits between start and live weights: shadow − w0 = (1−0.999^…)-weighted, ≠ live
    const e = emaWeights(t);
    const k = 'conv_in/kernel' in e ? 'conv_in/kernel' : Object.keys(e)[0];
    expect(e[k].some((v, i) => v !== w1[k][i])).toBe(true);
    t.dispose();
  });

  it('a run interrupted after 3 steps and resumed from its checkpoint ends bit-identical to 6 uninterrupted steps', async () => {
    const root = mkdtempSync(join(tmpdir(), 'evdm-resume-'));
    try {
      const full = new Trainer({ network: tinyNet, train: { ...train, steps: 6 }, data: data() });
      const lossesFull = (await full.run()).map((r) => r.loss);
      const wFull = weights(full);
      const eFull = emaWeights(full);
      const mFull = full.adam.stateTensors().m.map((x) => x.dataSync());
      full.dispose();

      const first = new Trainer({
        network: tinyNet,
        train: { ...train, steps: 3 },
        data: data(),
        checkpointDir: join(root, 'ckpt'),
      });
      const lossesA = (await first.run()).map((r) => r.loss);
      expect(first.lastCheckpoint).toBe(join(root, 'ckpt', 'step-3'));
      first.dispose();

      // a fresh data source (same seed) and a fresh trainer: everything else must come from the checkpoint
      const resumed = await Trainer.resume(join(root, 'ckpt'), { data: data(), train: { steps: 6 } });
      expect(resumed.step).toBe(3);
      const lossesB = (await resumed.run()).map((r) => r.loss);
      expect([...lossesA, ...lossesB]).toEqual(lossesFull);
      const wRes = weights(resumed);
      for (const k of Object.keys(wFull)) expect(Buffer.from(wRes[k].buffer).equals(Buffer.from(wFull[k].buffer))).toBe(true);
      const eRes = emaWeights(resumed);
      for (const k of Object.keys(eFull)) expect(Buffer.from(eRes[k].buffer).equals(Buffer.from(eFull[k].buffer))).toBe(true);
      resumed.adam.stateTensors().m.forEach((x, i) => expect(Array.from(x.dataSync())).toEqual(Array.from(mFull[i])));
      expect(existsSync(join(root, 'ckpt', 'step-6', 'meta.json'))).toBe(true);
      resumed.dispose();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a NaN batch stops training with a clear error, keeps the weights and names the last good checkpoint', async () => {
    const root = mkdtempSync(join(tmpdir(), 'evdm-nan-'));
    const good = data();
    let poison = false;
    const src: ClipSource = {
      async next() {
        const c = await good.next();
        if (!poison) return c;
        const bad = tf.fill(c.current.shape as [number, number, number, number, number], NaN) as tf.Tensor5D;
        c.current.dispose();
        return { ...c, current: bad };
      },
    };
    try {
      const t = new Trainer({ network: tinyNet, train: { ...train, steps: 2 }, data: src, checkpointDir: root });
      await t.run();
      const w = weights(t);
      poison = true;
      const err = await t.trainStep().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect((err as Error).message).toMatch(/diverged at step 3: loss is NaN.*step-2/);
      const w2 = weights(t);
      for (const k of Object.keys(w)) expect(Array.from(w2[k])).toEqual(Array.from(w[k]));
      expect(t.step).toBe(2);
      t.dispose();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('rejects bad configs and mismatched data with messages naming the problem', async () => {
    expect(() => resolveTrainConfig({ lr: -1 })).toThrow(/lr must be a positive number/);
    expect(() => resolveTrainConfig({ stpes: 3 } as never)).toThrow(/unknown field\(s\) stpes/);
    expect(() => resolveTrainConfig({ batchSize: 1.5 })).toThrow(/batchSize must be an integer/);
    expect(() => resolveTrainConfig({ syncMask: true, maskProbPast: 0.3 })).toThrow(/syncMask/);
    const t = new Trainer({
      network: tinyNet,
      train,
      data: new SyntheticClipSource({ batchSize: 2, imageSize: 16, past: 3, current: 1 }),
    });
    await expect(t.trainStep()).rejects.toThrow(/"past" has shape \[2,3,16,16,1\], expected \[B, 2, 16, 16, 1\]/);
    t.dispose();
  });
});
