// Measures what the README reports: golden max errors (PSNR/SSIM in float32 on the cpu backend,
// Fréchet in float64) and I3D / FVD timings. Run after `pnpm --filter ./packages/metrics build`:
//   node packages/metrics/bench/measure.mjs [--full] [--wasm]   (--full also times the 224x224 I3D)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  FeatureStats,
  FvdAccumulator,
  I3D,
  framewisePsnr,
  framewiseSsim,
  frechetDistance,
  frechetDistanceFromFeatures,
} from '@evdm/metrics';

const backend = process.argv.includes('--wasm') ? 'wasm' : 'cpu';
await tf.setBackend(backend);
console.log(`backend ${backend}`);
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-fixtures');
const golden = (n) => JSON.parse(readFileSync(join(fixtures, 'golden', n), 'utf8'));
const flat = (a) => a.flat(Infinity);
function u8Stream(seed, n) {
  let x = seed >>> 0;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x >>> 24;
  }
  return out;
}
function regen(g) {
  const n = g.shape.reduce((a, b) => a * b, 1);
  const m = g.formula.match(/^\(u8 - (\d+)\) \/ (\d+)$/);
  return u8Stream(g.seed, n).map((v) => (v - Number(m[1])) / Number(m[2]));
}

// --- PSNR / SSIM
const sp = golden('ssim_psnr.json');
let e = { psnr: 0, g: 0, u: 0 };
for (const c of sp.cases) {
  const shape = c.layout === 'HW' ? [...c.shape, 1] : c.shape;
  const x = tf.tensor3d(
    Float32Array.from(flat(c.x_u8), (v) => v / 255),
    shape,
  );
  const y = tf.tensor3d(
    Float32Array.from(flat(c.y_u8), (v) => v / 255),
    shape,
  );
  const p = framewisePsnr(x, y)[0];
  if (Number.isFinite(p)) e.psnr = Math.max(e.psnr, Math.abs(p - c.psnr));
  e.g = Math.max(e.g, Math.abs(framewiseSsim(x, y)[0] - c.ssim_gaussian_wang2004));
  e.u = Math.max(e.u, Math.abs(framewiseSsim(x, y, { window: 'uniform7' })[0] - c.ssim_skimage_default_uniform7));
  tf.dispose([x, y]);
}
const v = sp.video;
const vx = tf.tensor4d(
  Float32Array.from(flat(v.x_u8), (q) => q / 255),
  v.shape,
);
const vy = tf.tensor4d(
  Float32Array.from(flat(v.y_u8), (q) => q / 255),
  v.shape,
);
const pg = framewiseSsim(vx, vy);
const pu = framewiseSsim(vx, vy, { window: 'uniform7' });
const pp = framewisePsnr(vx, vy);
for (let t = 0; t < 5; t++) {
  e.g = Math.max(e.g, Math.abs(pg[t] - v.per_frame_ssim_gaussian_wang2004[t]));
  e.u = Math.max(e.u, Math.abs(pu[t] - v.per_frame_ssim_skimage_default_uniform7[t]));
  e.psnr = Math.max(e.psnr, Math.abs(pp[t] - v.per_frame_psnr[t]));
}
console.log(
  `ssim_psnr.json (9 cases + video): max |err| PSNR ${e.psnr.toExponential(2)} dB, SSIM gaussian ${e.g.toExponential(2)}, SSIM uniform7 ${e.u.toExponential(2)}`,
);

// --- Fréchet
for (const c of golden('frechet.json').cases) {
  const f1 = c.features1 ? flat(c.features1) : regen(c.features1_generation);
  let f2 = c.features2 ? flat(c.features2) : regen(c.features2_generation);
  if (c.name === 'D16_mean_shift') f2 = f1.map((q) => q + 0.5);
  let t0 = performance.now();
  const s1 = new FeatureStats(c.D).add({ data: f1, rows: c.N1 });
  const s2 = new FeatureStats(c.D).add({ data: f2, rows: c.N2 });
  const a = frechetDistance(s1, s2).distance;
  const ta = performance.now() - t0;
  t0 = performance.now();
  const b = frechetDistanceFromFeatures(f1, c.N1, f2, c.N2, c.D).distance;
  const tb = performance.now() - t0;
  const ref = c.results.fd_scipy_sqrtm_real;
  const exact = c.results.fd_nuclear_norm_route;
  const rel = (q, r) =>
    Math.abs(r) < 1e-9 ? `abs ${Math.abs(q - r).toExponential(1)}` : `rel ${(Math.abs(q - r) / Math.abs(r)).toExponential(1)}`;
  console.log(
    `frechet ${c.name}: covariance route ${rel(a, ref)} vs scipy, ${rel(a, exact)} vs exact (${ta.toFixed(0)} ms); feature route ${rel(b, ref)} vs scipy, ${rel(b, exact)} vs exact (${tb.toFixed(0)} ms)`,
  );
}

// --- I3D timings
const tiny = I3D.random({ width: 1 / 8, numClasses: 16, logitsPool: [1, 1, 1] }, 1);
const acc = new FvdAccumulator({ i3d: tiny, preprocess: { size: 32, resize: 'stylegan-v' }, batchSize: 10 });
const clips = tf.randomUniform([10, 8, 64, 64, 3]);
acc.features(clips);
let t0 = performance.now();
acc.addReal(clips);
console.log(`tiny I3D (width 1/8, 8x32x32): ${((performance.now() - t0) / 10).toFixed(1)} ms per clip incl. preprocessing`);
if (process.argv.includes('--full')) {
  const full = I3D.random({}, 1);
  const x = tf.randomUniform([1, 16, 224, 224, 3], -1, 1);
  t0 = performance.now();
  const f = full.features(x);
  f.dataSync();
  console.log(
    `full I3D (Kinetics-400 size, random weights), 1 video 16x224x224: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${full.params.count()} parameters`,
  );
}
