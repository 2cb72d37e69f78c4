// Test fixtures in MCVD's layouts, built with the package's own writer. Pixel values follow a
// closed-form rule so tests can check reads independently of the reader.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeVideoShard } from '../src/write-shard';
import type { Clip } from '../src/types';

/** Pixel (video v, frame j, y, x, channel k). */
export const pix = (v: number, j: number, y: number, x: number, k: number) => (3 * x + 5 * y + 17 * j + 50 * v + 80 * k) % 256;

export function patternClip(v: number, t: number, h: number, w: number, c: number): Clip {
  const frames = new Uint8Array(t * h * w * c);
  for (let j = 0; j < t; j++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) frames[((j * h + y) * w + x) * c + k] = pix(v, j, y, x, k);
  return { frames, t, h, w, c };
}

export const tmp = () => mkdtempSync(join(tmpdir(), 'evdm-ds-'));

/** KTH: 4 videos, persons 1, 2, 21, 22, 12 frames each. */
export async function makeKth(dir = tmp()): Promise<string> {
  const persons = [1, 2, 21, 22];
  await writeVideoShard(
    join(dir, 'shard_0001.hdf5'),
    persons.map((p, v) => ({ clip: patternClip(v, 12, 64, 64, 1), labels: { person: p, target: v % 6 } })),
  );
  return dir;
}

/** BAIR: train 3 videos, test 2 videos, 30 frames of 64x64x3 (short: 8 frames, to stay small). */
export async function makeBair(dir = tmp(), frames = 8): Promise<string> {
  await writeVideoShard(
    join(dir, 'train', 'traj_0.hdf5'),
    [0, 1, 2].map((v) => ({ clip: patternClip(v, frames, 64, 64, 3) })),
  );
  await writeVideoShard(
    join(dir, 'test', 'traj_0.hdf5'),
    [3, 4].map((v) => ({ clip: patternClip(v, frames, 64, 64, 3) })),
  );
  return dir;
}

/** UCF: 3 train videos and 20 test videos (so num_test // 10 = 2), 64x85x3, 6 frames. */
export async function makeUcf(dir = tmp()): Promise<string> {
  const videos = Array.from({ length: 23 }, (_, v) => ({ clip: patternClip(v, 6, 64, 85, 3), labels: { target: v % 101 } }));
  const path = join(dir, 'UCF101_64.hdf5');
  await writeVideoShard(path, videos, { num_train: 3, num_test: 20 });
  return path;
}
