// The metrics are tensor code for any backend: the wasm backend (whose Conv3D is slow, so I3D
// takes the Conv2D route there) must give the cpu backend's numbers.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { flat, loadGolden } from '../../../test-utils/golden';
import { maxAbsDiff } from '../../../test-utils/tf';
import { I3D } from '../src/i3d-model';
import { framewisePsnr } from '../src/psnr';
import { framewiseSsim } from '../src/ssim';

async function onBackend<T>(name: string, fn: () => T): Promise<T> {
  await tf.setBackend(name);
  await tf.ready();
  return fn();
}

describe('wasm backend', () => {
  it('golden video: SSIM (both windows, both conventions) and PSNR as on cpu', async () => {
    const v = loadGolden('ssim_psnr.json').video;
    const run = () => {
      const x = tf.tensor4d(
        Float32Array.from(flat(v.x_u8), (q) => q / 255),
        v.shape,
      );
      const y = tf.tensor4d(
        Float32Array.from(flat(v.y_u8), (q) => q / 255),
        v.shape,
      );
      const out = [
        ...framewiseSsim(x, y),
        ...framewiseSsim(x, y, { window: 'uniform7' }),
        ...framewiseSsim(x, y, { convention: 'mcvd-luma-uint8' }),
        ...framewisePsnr(x, y),
      ];
      tf.dispose([x, y]);
      return out;
    };
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    // 15 SSIM values, then 5 PSNRs in dB
    expect(maxAbsDiff(wasm.slice(0, 15), cpu.slice(0, 15))).toBeLessThan(1e-5);
    expect(maxAbsDiff(wasm.slice(15), cpu.slice(15))).toBeLessThan(1e-5);
    for (let t = 0; t < 5; t++) expect(Math.abs(wasm[t] - v.per_frame_ssim_gaussian_wang2004[t])).toBeLessThan(1e-5);
  });

  it('tiny I3D features as on cpu', async () => {
    const run = () => {
      const net = I3D.random({ width: 1 / 8, numClasses: 16, logitsPool: [1, 1, 1] }, 4);
      const x = tf.randomUniform([2, 9, 32, 32, 3], -1, 1, 'float32', 8);
      const f = net.features(x);
      const out = Array.from(f.dataSync());
      tf.dispose([x, f]);
      net.dispose();
      return out;
    };
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    const scale = Math.max(...cpu.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    expect(maxAbsDiff(wasm, cpu)).toBeLessThan(1e-4 * scale);
  });
});
