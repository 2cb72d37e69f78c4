import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../../../test-utils/tf';
import { frechetDistanceFromFeatures } from '../src/frechet';
import { computeFvd, FvdAccumulator } from '../src/fvd';
import { I3D } from '../src/i3d-model';

beforeAll(useCpu);

/** Fixture set A: a bright square moving right over a dark background, one start column per clip. */
function movingSquares(n: number, t: number, s: number): tf.Tensor5D {
  const data = new Float32Array(n * t * s * s);
  for (let v = 0; v < n; v++) {
    for (let f = 0; f < t; f++) {
      const x0 = (v * 3 + f * 2) % (s - 6);
      const y0 = (v * 5) % (s - 6);
      for (let y = y0; y < y0 + 6; y++) for (let x = x0; x < x0 + 6; x++) data[((v * t + f) * s + y) * s + x] = 0.9;
    }
  }
  return tf.tensor5d(data, [n, t, s, s, 1]);
}

describe('FVD with a random tiny I3D', () => {
  const tiny = { width: 1 / 8, numClasses: 16, logitsPool: [1, 1, 1] as [number, number, number] };

  it('FVD(x, x) ≈ 0, FVD(squares, noise) > 0, streaming = one-shot, both Fréchet routes agree', async () => {
    const i3d = I3D.random(tiny, 11);
    const opts = { i3d, preprocess: { size: 32, resize: 'stylegan-v' as const }, batchSize: 4 };
    const a = movingSquares(12, 8, 32);
    const b = tf.randomUniform([12, 8, 32, 32, 1], 0, 1, 'float32', 2);
    const same = await computeFvd({ ...opts, real: a, fake: a });
    const scale = same.traceSigma1 + same.traceSigma2;
    expect(scale).toBeGreaterThan(0);
    // 12 clips < D = 16: rank-deficient covariances, where the clipped rounding-level eigenvalues
    // of the covariance route leave ~√eps relative residue (the exact route below does better)
    expect(Math.abs(same.distance) / scale).toBeLessThan(1e-7);
    const diff = await computeFvd({ ...opts, real: a, fake: b });
    expect(diff.distance / scale).toBeGreaterThan(0.1);
    // streamed as 3 uneven batches of the same videos: same statistics
    const parts = [tf.slice(b, [0], [5]), tf.slice(b, [5], [2]), tf.slice(b, [7], [5])];
    const streamed = await computeFvd({ ...opts, real: a, fake: parts });
    expect(Math.abs(streamed.distance - diff.distance) / diff.distance).toBeLessThan(1e-6);
    // against the exact nuclear-norm route on the same features
    const acc = new FvdAccumulator(opts);
    const fa = acc.features(a);
    const fb = acc.features(b);
    const exact = frechetDistanceFromFeatures(fa, 12, fb, 12, 16);
    expect(Math.abs(exact.distance - diff.distance) / diff.distance).toBeLessThan(1e-6);
    const exactSame = frechetDistanceFromFeatures(fa, 12, fa, 12, 16);
    expect(Math.abs(exactSame.distance) / scale).toBeLessThan(1e-12);
    console.log(
      `random-I3D FVD: squares vs squares ${same.distance.toExponential(2)} (exact route ${exactSame.distance.toExponential(2)}), squares vs noise ${diff.distance.toFixed(4)} (exact route ${exact.distance.toFixed(4)}), trace scale ${scale.toFixed(4)}`,
    );
    tf.dispose([a, b, ...parts]);
    i3d.dispose();
  });

  it('memory stays flat while streaming 1,000 clips', async () => {
    const i3d = I3D.random({ width: 1 / 16, numClasses: 16, logitsPool: [1, 1, 1] }, 3);
    const acc = new FvdAccumulator({ i3d, preprocess: { size: 16, resize: 'stylegan-v' }, batchSize: 25 });
    const counts: number[] = [];
    for (let k = 0; k < 20; k++) {
      const clips = tf.randomUniform([50, 8, 16, 16, 3], 0, 1, 'float32', k);
      if (k % 2) acc.addFake(clips);
      else acc.addReal(clips);
      clips.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(acc.real.count + acc.fake.count).toBe(1000);
    expect(new Set(counts).size).toBe(1);
    // the accumulator holds O(D²) numbers however many clips went through
    expect(JSON.stringify(acc.real.toJSON()).length).toBeLessThan(20_000);
    expect(acc.real.toJSON().comoment.length).toBe(256);
    expect(Number.isFinite(acc.compute().distance)).toBe(true);
    i3d.dispose();
  });

  it('never runs without weights', async () => {
    const v = tf.zeros([2, 8, 32, 32, 3]);
    await expect(computeFvd({ i3d: undefined as never, real: v, fake: v })).rejects.toThrow(
      /No I3D weights given.*convert_i3d_torchscript/,
    );
    await expect(computeFvd({ i3d: '/nonexistent/i3d', real: v, fake: v })).rejects.toThrow(
      /No I3D weights at \/nonexistent\/i3d/,
    );
    v.dispose();
  });
});
