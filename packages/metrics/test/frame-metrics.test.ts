import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flat, loadGolden, num } from '../../../test-utils/golden';
import { useCpu } from '../../../test-utils/tf';
import { computeFrameMetrics, frameMetricsJson } from '../src/frame-metrics';
import { loadVideoFromPath } from '../src/png-video';

const v = loadGolden('ssim_psnr.json').video;
const [T, H, W] = v.shape as number[];
const dir = mkdtempSync(join(tmpdir(), 'evdm-metrics-'));

/** Writes frame t of a golden uint8 video (THWC) as an RGB PNG. */
function writeFrame(file: string, u8: number[], t: number): void {
  const png = new PNG({ width: W, height: H });
  for (let p = 0; p < H * W; p++) {
    for (let c = 0; c < 3; c++) png.data[4 * p + c] = u8[(t * H * W + p) * 3 + c];
    png.data[4 * p + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(png));
}

function writeGray(file: string, w: number, h: number, value: (i: number) => number): void {
  const png = new PNG({ width: w, height: h, colorType: 0 });
  for (let p = 0; p < w * h; p++) {
    png.data.fill(value(p), 4 * p, 4 * p + 3);
    png.data[4 * p + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(png, { colorType: 0 }));
}

beforeAll(async () => {
  await useCpu();
  const x = flat(v.x_u8);
  const y = flat(v.y_u8);
  for (const [name, data] of [
    ['real', x],
    ['fake', y],
  ] as const) {
    mkdirSync(join(dir, name));
    // frame names whose natural order differs from their lexicographic order
    for (let t = 0; t < T; t++) writeFrame(join(dir, name, `frame_${[1, 2, 3, 9, 10][t]}.png`), data, t);
  }
  mkdirSync(join(dir, 'batch', 'clip_a'), { recursive: true });
  mkdirSync(join(dir, 'batch', 'clip_b'), { recursive: true });
  for (const c of ['clip_a', 'clip_b'])
    for (let t = 0; t < 2; t++) writeGray(join(dir, 'batch', c, `${t}.png`), 12, 12, (i) => (i + t) % 256);
  writeGray(join(dir, 'gray.png'), 16, 12, (i) => i % 256);
  writeGray(join(dir, 'other-size.png'), 8, 8, () => 0);
  writeFileSync(join(dir, 'not-a-png.png'), 'hello');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('computeFrameMetrics on the golden video', () => {
  it('PSNR from the frame-averaged MSE, both SSIM windows, per-frame arrays; via PNG directories', () => {
    const real = loadVideoFromPath(join(dir, 'real'));
    const fake = loadVideoFromPath(join(dir, 'fake'));
    expect(real.shape).toEqual([T, H, W, 3]);
    const xs = real.dataSync();
    const gx = flat(v.x_u8);
    let worst = 0;
    for (let i = 0; i < gx.length; i++) worst = Math.max(worst, Math.abs(xs[i] - gx[i] / 255));
    expect(worst).toBeLessThan(1e-7);

    const m = computeFrameMetrics({ real, fake });
    expect(m.videos).toBe(1);
    expect(m.framesPerVideo).toBe(T);
    expect(Math.abs(m.psnr - v.psnr_of_global_mse_over_all_frames)).toBeLessThan(1e-4);
    expect(Math.abs(m.ssim - v.mean_ssim_gaussian_wang2004)).toBeLessThan(1e-5);
    expect(Math.abs(m.ssim_uniform7 - v.mean_ssim_skimage_default_uniform7)).toBeLessThan(1e-5);
    for (let t = 0; t < T; t++) {
      expect(Math.abs(m.perFrame.psnr[t] - num(v.per_frame_psnr[t]))).toBeLessThan(1e-4);
      expect(Math.abs(m.perFrame.ssim[t] - v.per_frame_ssim_gaussian_wang2004[t])).toBeLessThan(1e-5);
      expect(Math.abs(m.perFrame.ssim_uniform7[t] - v.per_frame_ssim_skimage_default_uniform7[t])).toBeLessThan(1e-5);
    }
    const json = frameMetricsJson(m);
    expect(Object.keys(json)).toEqual(['psnr', 'ssim', 'ssim_uniform7']);
    const same = frameMetricsJson(computeFrameMetrics({ real, fake: real }));
    expect(same.psnr).toBe('Infinity');
    expect(Math.abs(same.ssim - 1)).toBeLessThan(1e-6);
    expect(JSON.parse(JSON.stringify(same)).psnr).toBe('Infinity');
    tf.dispose([real, fake]);
  });
});

describe('loadVideoFromPath', () => {
  it('loads a gray PNG as [1,H,W,1] and a directory of directories as [B,T,H,W,C]', () => {
    const g = loadVideoFromPath(join(dir, 'gray.png'));
    expect(g.shape).toEqual([1, 12, 16, 1]);
    const gd = g.dataSync();
    expect(gd[17]).toBeCloseTo(17 / 255, 7);
    const b = loadVideoFromPath(join(dir, 'batch'));
    expect(b.shape).toEqual([2, 2, 12, 12, 1]);
    expect(b.dataSync()[144]).toBeCloseTo(1 / 255, 7); // clip_a frame 1 pixel 0 = (0 + 1)
    tf.dispose([g, b]);
  });

  it('names the offending path in its errors', () => {
    expect(() => loadVideoFromPath(join(dir, 'nope'))).toThrow(/nope does not exist/);
    expect(() => loadVideoFromPath(join(dir, 'not-a-png.png'))).toThrow(/cannot decode PNG .*not-a-png.png/);
    expect(() => loadVideoFromPath(dir)).toThrow(/mixes .png files and sub-directories/);
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    writeGray(join(mixed, 'a.png'), 16, 12, () => 1);
    writeGray(join(mixed, 'b.png'), 8, 8, () => 1);
    expect(() => loadVideoFromPath(mixed)).toThrow(/b.png is 8x8, but .*a.png is 16x12/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => loadVideoFromPath(empty)).toThrow(/contains no .png files/);
  });
});
