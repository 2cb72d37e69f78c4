// Smoke test of the built CJS entry.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { framewiseSsim, videoPsnr, bestOfNReport, FeatureStats, frechetDistance } = require('@evdm/metrics');

function check(ok, msg) {
  if (!ok) throw new Error(`smoke (cjs): ${msg}`);
}

(async () => {
  await tf.setBackend('cpu');
  const a = tf.randomUniform([4, 12, 12, 1], 0, 1, 'float32', 3);
  const b = tf.mul(a, 0.5);
  const p = videoPsnr(a, b);
  check(p.length === 1 && Number.isFinite(p[0]), 'videoPsnr');
  const s = framewiseSsim(a, a);
  check(s.length === 4 && s.every((v) => Math.abs(v - 1) < 1e-6), 'ssim(x,x) = 1');
  const r = bestOfNReport({ mse: [0.01, 0.001, 0.1, 0.1] }, 2); // best 30 dB and 10 dB
  check(Math.abs(r.psnr.mean - 20) < 1e-12, `best-of-N psnr ${r.psnr.mean}`);
  const f = [];
  for (let i = 0; i < 50; i++) f.push([Math.sin(i), Math.cos(3 * i)]);
  const s1 = new FeatureStats(2).add(f);
  check(Math.abs(frechetDistance(s1, s1).distance) < 1e-12, 'FD(x,x) = 0');
  console.log('smoke cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
