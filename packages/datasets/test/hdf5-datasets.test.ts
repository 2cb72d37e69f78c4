import { describe, expect, it } from 'vitest';
import { Rng } from '@evdm/core';
import { openDataset } from '../src/open-dataset';
import { VideoStore } from '../src/video-store';
import { makeBair, makeKth, makeUcf, pix } from './fixtures';

const LZF = new URL('./fixtures/kth-lzf/shard_0001.hdf5', import.meta.url).pathname;

describe('MCVD HDF5 layout', () => {
  it('reads lzf frames written by h5py (committed fixture)', async () => {
    const s = await VideoStore.open(LZF);
    expect(s.count).toBe(2);
    expect([s.length(0), s.length(1)]).toEqual([5, 4]);
    expect([s.label('person', 0), s.label('person', 1)]).toEqual([1, 21]);
    for (const [v, j] of [
      [0, 0],
      [0, 4],
      [1, 3],
    ]) {
      const f = s.frame(v, j, 64, 64, 1);
      for (const [y, x] of [
        [0, 0],
        [7, 63],
        [63, 1],
        [30, 31],
      ])
        expect(f[y * 64 + x]).toBe((3 * x + 5 * y + 17 * j + 50 * v) % 256);
    }
    s.close();
  });

  it('KTH: person split, 256-clip test indexing, windows inside the video, flips', async () => {
    const ds = await openDataset({ name: 'kth', path: await makeKth() });
    expect([ds.channels, ds.height, ds.width, ds.length('train'), ds.length('test')]).toEqual([1, 64, 64, 2, 256]);
    const rng = new Rng(3);
    let flipped = 0;
    for (let i = 0; i < 40; i++) {
      const c = await ds.clip(i % 2, 'train', { frames: 5, rng, flip: true });
      expect([c.t, c.h, c.w, c.c]).toEqual([5, 64, 64, 1]);
      // identify the start frame from pixel (0,0) or (0,63) (flip) of frame 0
      const v = i % 2;
      const a = c.frames[0];
      const isFlip = (c.frames[1] - a + 256) % 256 === 253; // x-step of -3 instead of +3
      const x = isFlip ? 63 : 0;
      const j0 = [...Array(12).keys()].find((j) => pix(v, j, 0, x, 0) === a)!;
      expect(j0).toBeGreaterThanOrEqual(0);
      expect(j0).toBeLessThanOrEqual(12 - 5 - 1); // last possible start never drawn
      for (let f = 0; f < 5; f++)
        for (const [y, xx] of [
          [0, 0],
          [10, 20],
        ]) {
          const sx = isFlip ? 63 - xx : xx;
          expect(c.frames[f * 4096 + y * 64 + xx]).toBe(pix(v, j0 + f, y, sx, 0));
        }
      if (isFlip) flipped++;
    }
    expect(flipped).toBeGreaterThan(5);
    expect(flipped).toBeLessThan(35);
    // test clip 0 -> test video 0 (video 2), clip 255 -> last test video (video 3); never flipped
    const t0 = await ds.clip(0, 'test', { frames: 11 });
    const t255 = await ds.clip(255, 'test', { frames: 11 });
    expect([0, 1].map((j) => pix(2, j, 0, 0, 0))).toContain(t0.frames[0]);
    expect([0, 1].map((j) => pix(3, j, 0, 0, 0))).toContain(t255.frames[0]);
    // deterministic test set
    expect(Array.from((await ds.clip(7, 'test', { frames: 4 })).frames)).toEqual(
      Array.from((await ds.clip(7, 'test', { frames: 4 })).frames),
    );
    ds.close();
  });

  it('BAIR: train/test folders, RGB frames', async () => {
    const ds = await openDataset({ name: 'bair', path: await makeBair() });
    expect([ds.channels, ds.length('train'), ds.length('test')]).toEqual([3, 3, 2]);
    const c = await ds.clip(1, 'test', { frames: 8 });
    for (const k of [0, 1, 2]) expect(c.frames[(5 * 4096 + 9 * 64 + 33) * 3 + k]).toBe(pix(4, 5, 9, 33, k));
    ds.close();
  });

  it('UCF-101: train crop offsets in [0, 20], test offset 10, every 10th test video', async () => {
    const ds = await openDataset({ name: 'ucf101', path: await makeUcf() });
    expect([ds.channels, ds.width, ds.length('train'), ds.length('test')]).toEqual([3, 64, 3, 256]);
    const rng = new Rng(5);
    const offsets = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const c = await ds.clip(2, 'train', { frames: 6, rng });
      const x0 = [...Array(22).keys()].find((x) => c.frames[0] === pix(2, 0, 0, x, 0) && c.frames[3] === pix(2, 0, 0, x + 1, 0))!;
      offsets.add(x0);
    }
    expect(Math.min(...offsets)).toBe(0);
    expect(Math.max(...offsets)).toBe(20);
    const t = await ds.clip(255, 'test', { frames: 6 }); // last test clip -> video num_train + 10 = 13
    expect(t.frames[0]).toBe(pix(13, 0, 0, 10, 0));
    const t0 = await ds.clip(0, 'test', { frames: 6 });
    expect(t0.frames[0]).toBe(pix(3, 0, 0, 10, 0));
    ds.close();
  });
});
