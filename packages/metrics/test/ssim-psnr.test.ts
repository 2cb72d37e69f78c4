import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flat, loadGolden, num, regenerate, type FixtureJson } from '../../../test-utils/golden';
import { useCpu } from '../../../test-utils/tf';
import { framewiseMse, framewisePsnr, videoPsnr } from '../src/psnr';
import { framewiseSsim, gaussianTaps, mcvdLumaUint8 } from '../src/ssim';

const golden = loadGolden('ssim_psnr.json');

/** A golden image as an `[H,W,C]` float32 tensor, x_u8 / 255. */
function image(c: FixtureJson, key: 'x_u8' | 'y_u8'): tf.Tensor3D {
  const shape = c.layout === 'HW' ? [...c.shape, 1] : c.shape;
  return tf.tensor3d(
    Float32Array.from(flat(c[key]), (v) => v / 255),
    shape as [number, number, number],
  );
}

beforeAll(useCpu);

describe('golden ssim_psnr.json, every image case', () => {
  for (const c of golden.cases) {
    it(`${c.name}: PSNR, Gaussian SSIM and uniform-7 SSIM`, () => {
      const x = image(c, 'x_u8');
      const y = image(c, 'y_u8');
      const psnr = framewisePsnr(x, y)[0];
      const want = num(c.psnr);
      if (Number.isFinite(want)) expect(Math.abs(psnr - want)).toBeLessThan(1e-4);
      else expect(psnr).toBe(Infinity);
      expect(Math.abs(framewiseMse(x, y)[0] - c.mse)).toBeLessThan(1e-7);
      const g = framewiseSsim(x, y, { window: 'gaussian' })[0];
      const u = framewiseSsim(x, y, { window: 'uniform7' })[0];
      expect(Math.abs(g - c.ssim_gaussian_wang2004)).toBeLessThan(1e-5);
      expect(Math.abs(u - c.ssim_skimage_default_uniform7)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
    });
  }

  it('the stored inputs are the generator streams the README states', () => {
    const c = golden.cases.find((k: { name: string }) => k.name === 'rgb64_noisy');
    expect(regenerate(c.x_generation)).toEqual(flat(c.x_u8));
  });

  it('per-channel values of the RGB case match (the mean over channels is the reported value)', () => {
    const c = golden.cases.find((k: { name: string }) => k.name === 'rgb64_noisy');
    const x = image(c, 'x_u8');
    const y = image(c, 'y_u8');
    for (let ch = 0; ch < 3; ch++) {
      const xc = tf.slice(x, [0, 0, ch], [-1, -1, 1]);
      const yc = tf.slice(y, [0, 0, ch], [-1, -1, 1]);
      expect(Math.abs(framewiseSsim(xc, yc)[0] - c.ssim_gaussian_wang2004_per_channel[ch])).toBeLessThan(1e-5);
      const u = framewiseSsim(xc, yc, { window: 'uniform7' })[0];
      expect(Math.abs(u - c.ssim_skimage_default_uniform7_per_channel[ch])).toBeLessThan(1e-5);
      tf.dispose([xc, yc]);
    }
    tf.dispose([x, y]);
  });

  it('is closer to the reference than to the documented pitfall values', () => {
    const c = golden.cases.find((k: { name: string }) => k.name === 'gray64_noisy');
    const x = image(c, 'x_u8');
    const y = image(c, 'y_u8');
    const g = framewiseSsim(x, y)[0];
    const err = Math.abs(g - c.ssim_gaussian_wang2004);
    // the sample-covariance pitfall is only 4e-7 away here: our float32 error must be well below it
    expect(err).toBeLessThan(Math.abs(g - c.pitfall_values.ssim_gaussian_sample_cov) / 2);
    expect(Math.abs(g - c.pitfall_values.ssim_defaults_no_data_range)).toBeGreaterThan(1e-4);
    tf.dispose([x, y]);
  });

  it('uses the stored Gaussian taps', () => {
    const taps = golden.conventions['gaussian_taps_sigma1.5_truncate3.5'];
    const mine = gaussianTaps();
    expect(mine.length).toBe(11);
    for (let i = 0; i < 11; i++) expect(Math.abs(mine[i] - taps[i])).toBeLessThan(1e-15);
  });
});

describe('golden video case (T=5, 32x32x3)', () => {
  const v = golden.video;
  const video = (key: 'x_u8' | 'y_u8') =>
    tf.tensor4d(
      Float32Array.from(flat(v[key]), (q) => q / 255),
      v.shape,
    );

  it('per-frame PSNR / SSIM (both windows) and the frame-averaged-MSE PSNR', () => {
    const x = video('x_u8');
    const y = video('y_u8');
    const p = framewisePsnr(x, y);
    const g = framewiseSsim(x, y);
    const u = framewiseSsim(x, y, { window: 'uniform7' });
    for (let t = 0; t < 5; t++) {
      expect(Math.abs(p[t] - num(v.per_frame_psnr[t]))).toBeLessThan(1e-4);
      expect(Math.abs(g[t] - v.per_frame_ssim_gaussian_wang2004[t])).toBeLessThan(1e-5);
      expect(Math.abs(u[t] - v.per_frame_ssim_skimage_default_uniform7[t])).toBeLessThan(1e-5);
    }
    const vp = videoPsnr(x, y);
    expect(vp.length).toBe(1);
    expect(Math.abs(vp[0] - v.psnr_of_global_mse_over_all_frames)).toBeLessThan(1e-4);
    // a batch of two copies gives two identical per-video values
    const bx = tf.stack([x, x]);
    const by = tf.stack([y, y]);
    const bp = videoPsnr(bx, by);
    expect(bp.length).toBe(2);
    expect(Math.abs(bp[1] - v.psnr_of_global_mse_over_all_frames)).toBeLessThan(1e-4);
    const bg = framewiseSsim(bx, by);
    expect(bg.length).toBe(10);
    expect(Math.abs(bg[7] - v.per_frame_ssim_gaussian_wang2004[2])).toBeLessThan(1e-5);
    tf.dispose([x, y, bx, by]);
  });
});

describe('MCVD luminance-uint8 convention', () => {
  it('PIL luma weights with rounding, truncating uint8 cast', () => {
    // pure red/green/blue/white and a mixed pixel, in uint8 after truncation
    const rgb = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 1],
      [100.9 / 255, 50.2 / 255, 10.99 / 255], // truncates to (100, 50, 10)
    ];
    const t = tf.tensor4d(rgb.flat(), [1, 1, 5, 3]);
    const l = mcvdLumaUint8(t);
    const got = Array.from(l.dataSync(), (v) => Math.round(v * 255));
    const want = rgb.map(([r, g, b]) => {
      const [R, G, B] = [r, g, b].map((q) => Math.floor(Math.fround(Math.fround(q) * 255)));
      return Math.floor((R * 19595 + G * 38470 + B * 7471 + 32768) / 65536);
    });
    expect(got).toEqual(want);
    expect(got.slice(0, 4)).toEqual([76, 150, 29, 255]); // PIL's published L of R, G, B, white
    tf.dispose([t, l]);
  });

  it('on gray replicated to RGB it equals the golden Gaussian SSIM of the uint8 image', () => {
    const c = golden.cases.find((k: { name: string }) => k.name === 'gray64_noisy');
    // (u8 + 0.5)/255 truncates back to u8 exactly, so the luma image is the golden uint8 image
    const mk = (key: string) =>
      tf.tidy(() =>
        tf.tile(
          tf.tensor3d(
            Float32Array.from(flat(c[key]), (v) => (v + 0.5) / 255),
            [64, 64, 1],
          ),
          [1, 1, 3],
        ),
      );
    const x = mk('x_u8');
    const y = mk('y_u8');
    const s = framewiseSsim(x, y, { convention: 'mcvd-luma-uint8' })[0];
    expect(Math.abs(s - c.ssim_gaussian_wang2004)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });
});

describe('validation and memory', () => {
  it('rejects mismatched shapes, tiny frames, bad options with clear errors', () => {
    const a = tf.zeros([4, 16, 16, 3]);
    const b = tf.zeros([4, 16, 16, 1]);
    const tiny = tf.zeros([8, 8, 1]);
    expect(() => framewiseSsim(a, b)).toThrow(/real has shape \[4,16,16,3\] but fake has shape \[4,16,16,1\]/);
    expect(() => framewiseSsim(tiny, tiny)).toThrow(/8x8 are smaller than the 11x11 gaussian window/);
    expect(() => framewiseSsim(a, a, { window: 'box' as never })).toThrow(/unknown window "box"/);
    expect(() => framewisePsnr(tf.zeros([2, 3]), tf.zeros([2, 3]))).toThrow(/expected \[H,W,C\]/);
    tf.dispose([a, b, tiny]);
  });

  it('leaves no tensors behind', () => {
    const a = tf.randomUniform([2, 3, 16, 16, 3], 0, 1, 'float32', 1);
    const b = tf.randomUniform([2, 3, 16, 16, 3], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      framewiseSsim(a, b);
      framewiseSsim(a, b, { window: 'uniform7', convention: 'mcvd-luma-uint8' });
      videoPsnr(a, b);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });
});
