// Smoke test of the built ESM entry: PSNR/SSIM closed forms, Fréchet of known Gaussians, a tiny FVD.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { computeFrameMetrics, frechetDistance, FvdAccumulator, I3D, loadI3D } from '@evdm/metrics';

await tf.setBackend('cpu');
const check = (ok, msg) => {
  if (!ok) throw new Error(`smoke (esm): ${msg}`);
};

// a constant offset of 0.1 everywhere: MSE 0.01 → PSNR exactly 20 dB
const real = tf.randomUniform([2, 3, 16, 16, 3], 0.2, 0.8, 'float32', 1);
const fake = tf.add(real, 0.1);
const m = computeFrameMetrics({ real, fake });
check(Math.abs(m.psnr - 20) < 1e-4, `psnr ${m.psnr} != 20`);
check(m.ssim > 0.5 && m.ssim < 1 && m.ssim_uniform7 > 0.5 && m.ssim_uniform7 < 1, `ssim out of range ${m.ssim}`);
const same = computeFrameMetrics({ real, fake: real });
check(same.psnr === Infinity && Math.abs(same.ssim - 1) < 1e-6, 'identical inputs');

// Fréchet of N(0, I) and N(1·1, 4I) in D=3: 3 + 3 + 12 - 2·3·2 = 6
const eye = (s) => [s, 0, 0, 0, s, 0, 0, 0, s];
const fd = frechetDistance({ mean: [0, 0, 0], covariance: eye(1) }, { mean: [1, 1, 1], covariance: eye(4) });
check(Math.abs(fd.distance - 6) < 1e-12, `frechet ${fd.distance} != 6`);

// tiny random I3D: FVD(x, x) ≈ 0
const i3d = I3D.random({ width: 1 / 16, numClasses: 8, logitsPool: [1, 1, 1] }, 1);
const acc = new FvdAccumulator({ i3d, preprocess: { size: 16 } });
const clips = tf.randomUniform([6, 8, 16, 16, 3], 0, 1, 'float32', 2);
acc.addReal(clips).addFake(clips);
const fvd = acc.compute();
check(Math.abs(fvd.distance) < 1e-6 * (fvd.traceSigma1 + 1e-12) + 1e-9, `FVD(x,x) = ${fvd.distance}`);
let threw = false;
try {
  loadI3D('/nonexistent-i3d');
} catch (e) {
  threw = /No I3D weights/.test(e.message);
}
check(threw, 'missing weights must throw');
console.log(`smoke esm ok: psnr ${m.psnr.toFixed(4)} ssim ${m.ssim.toFixed(4)} FVD(x,x) ${fvd.distance.toExponential(1)}`);
