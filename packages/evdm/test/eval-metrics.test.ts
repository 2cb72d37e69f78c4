// evaluate(): the metric path checked against closed forms with oracle "models" (no training), and
// tensor bookkeeping. SM-MNIST is generated (no download); 16 px via data.imageSize pooling.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../../../test-utils/tf';
import { evaluate, type EvalModel } from '../src/eval/evaluate';
import { openTestClips } from '../src/eval/test-clips';
import type { DataConfig } from '../src/train/run-config';

beforeAll(useCpu);

const layout = { pastFrames: 2, currentFrames: 1, futureFrames: 0, imageSize: 16, imageChannels: 1 };
const data: DataConfig = { source: 'smmnist', imageSize: 16 };

/** A "model" that returns, per clip, trajectory n = pick(n, real). */
function oracle(pick: (n: number, real: tf.Tensor5D) => tf.Tensor5D): EvalModel {
  return {
    layout,
    sample: ({ real, trajectories }) =>
      tf.tidy(() => {
        const [B] = real.shape;
        const per = Array.from({ length: trajectories }, (_, n) => pick(n, real));
        // interleave: sample b·N + n = trajectory n of clip b
        const stacked = tf.stack(per, 1); // [B, N, T, H, W, C]
        const s = stacked.shape as number[];
        return tf.reshape(stacked, [B * trajectories, s[2], s[3], s[4], s[5]]) as tf.Tensor5D;
      }),
  };
}

describe('evaluate (oracle models)', () => {
  it('a perfect prediction scores PSNR Infinity and SSIM 1; best of N keeps it when one trajectory is perfect', async () => {
    const before = tf.memory().numTensors;
    const perfect = await evaluate({
      model: oracle((_, r) => tf.clone(r)),
      data,
      mode: 'predict',
      horizon: 3,
      clips: 3,
      trajectories: 1,
      batch: 2,
      seed: 0,
    });
    expect(perfect.clips).toBe(3);
    expect(perfect.horizon).toBe(3);
    expect(perfect.psnr!.mean).toBe(Infinity);
    expect(perfect.ssim!.mean).toBeCloseTo(1, 6);
    // copy-last-frame is a real baseline: finite and below a perfect prediction
    expect(Number.isFinite(perfect.copyLastFrame!.psnr.mean)).toBe(true);
    expect(perfect.copyLastFrame!.ssim.mean).toBeLessThan(1);
    // trajectory 0 is noise, trajectory 1 perfect: best of 2 is perfect, best of 1 (noise only) is not
    const noise = (r: tf.Tensor5D) => tf.randomUniform(r.shape, -1, 1, 'float32', 5) as tf.Tensor5D;
    const mixed = await evaluate({
      model: oracle((n, r) => (n === 0 ? noise(r) : tf.clone(r))),
      data,
      mode: 'predict',
      horizon: 3,
      clips: 3,
      trajectories: 2,
      batch: 2,
      seed: 0,
    });
    expect(mixed.psnr!.mean).toBe(Infinity);
    expect(mixed.ssim!.mean).toBeCloseTo(1, 6);
    const noisy = await evaluate({
      model: oracle((_, r) => noise(r)),
      data,
      mode: 'predict',
      horizon: 3,
      clips: 3,
      trajectories: 1,
      batch: 2,
      seed: 0,
    });
    expect(noisy.psnr!.mean).toBeLessThan(10);
    expect(noisy.ssim!.mean).toBeLessThan(0.5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PSNR of an all-black prediction equals the closed form 10·log10(1 / mean(u²)) per clip, averaged', async () => {
    const before = tf.memory().numTensors;
    const black = await evaluate({
      model: oracle((_, r) => tf.fill(r.shape, -1) as tf.Tensor5D),
      data,
      mode: 'predict',
      horizon: 2,
      clips: 4,
      trajectories: 1,
      batch: 3,
      seed: 0,
    });
    // the same test clips, read independently, and the closed form computed on the host
    const test = await openTestClips(data, { past: 2, current: 2, future: 0, imageSize: 16, imageChannels: 1 }, 4);
    const expected: number[] = [];
    for await (const b of test.batches(4)) {
      const v = await b.current.data();
      const per = v.length / 4;
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let i = c * per; i < (c + 1) * per; i++) s += ((Math.min(1, Math.max(-1, v[i])) + 1) / 2) ** 2;
        expected.push(10 * Math.log10(1 / (s / per)));
      }
      tf.dispose([b.past!, b.current]);
    }
    test.close();
    const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
    expect(Math.abs(black.psnr!.mean - mean)).toBeLessThan(1e-3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('synthetic test clips hold the moving squares (a copy-last-frame baseline is finite)', async () => {
    const r = await evaluate({
      model: oracle((_, x) => tf.clone(x)),
      data: { source: 'synthetic' },
      mode: 'predict',
      horizon: 2,
      clips: 2,
      trajectories: 1,
      batch: 2,
      seed: 0,
    });
    expect(r.dataset).toBe('synthetic');
    expect(r.psnr!.mean).toBe(Infinity);
    expect(Number.isFinite(r.copyLastFrame!.psnr.mean)).toBe(true);
  });

  it('refuses a mode the model cannot do and a wrong sample shape, naming the problem', async () => {
    await expect(
      evaluate({ model: oracle((_, r) => tf.clone(r)), data, mode: 'interpolate', clips: 1, trajectories: 1, batch: 1, seed: 0 }),
    ).rejects.toThrow(/interpolate needs a model trained with past and future frames \(this one has 2 past, 0 future/);
    const before = tf.memory().numTensors;
    const bad: EvalModel = { layout, sample: ({ real }) => tf.zeros([real.shape[0], 1, 8, 8, 1]) as tf.Tensor5D };
    await expect(
      evaluate({ model: bad, data, mode: 'predict', horizon: 1, clips: 1, trajectories: 1, batch: 1, seed: 0 }),
    ).rejects.toThrow(/model sampled \[1,1,8,8,1\], expected \[1,1,16,16,1\]/);
    expect(tf.memory().numTensors).toBe(before);
    await expect(
      evaluate({
        model: oracle((_, r) => tf.clone(r)),
        data: { source: 'smmnist', imageSize: 24 },
        mode: 'predict',
        clips: 1,
        trajectories: 1,
        batch: 1,
        seed: 0,
      }),
    ).rejects.toThrow(/data.imageSize 24 does not divide the smmnist frames \(64x64\)/);
  });
});
