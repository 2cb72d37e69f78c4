// FAVOR+ approximation quality vs exact softmax attention as a function of the number of random
// features m (d = 96 as in KTH, L = 256 tokens, 2 slices, V ~ U(0,1) as in favor.json).
// q, k ~ N(0, s²) per component gives logits q·k/√d with std s²: 0.35 (like a fresh MCVD block /
// golden case 2) and 1.3 (peaked attention, like golden case 1).
// Usage: node bench/approximation.mjs [--draws 5]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@evdm/core';
import { favorAttention, orthogonalRandomFeatures, softmaxAttention } from '@evdm/attention-mixed';

await tf.setBackend('cpu');
const i = process.argv.indexOf('--draws');
const draws = i < 0 ? 5 : Number(process.argv[i + 1]);
const [n, l, d] = [2, 256, 96];
const featureCounts = [8, 16, 48, 96, 192, Math.round(d * Math.log(d)), 768];
const relF = (a, b) => {
  let num = 0;
  let den = 0;
  for (let j = 0; j < a.length; j++) {
    num += (a[j] - b[j]) ** 2;
    den += b[j] ** 2;
  }
  return Math.sqrt(num / den);
};

const rows = [];
for (const logitStd of [0.35, 1.3]) {
  const rng = new Rng(7);
  const s = Math.sqrt(logitStd);
  const q = tf.tensor3d(
    rng.normalArray(n * l * d).map((x) => x * s),
    [n, l, d],
  );
  const k = tf.tensor3d(
    rng.normalArray(n * l * d).map((x) => x * s),
    [n, l, d],
  );
  const v = tf.tensor3d(
    Float32Array.from({ length: n * l * d }, () => rng.uniform()),
    [n, l, d],
  );
  const exact = softmaxAttention(q, k, v).dataSync();
  // baseline: uniform attention (every row = mean of V); the error metrics are relative to it too
  const uniform = tf.tile(tf.mean(v, 1, true), [1, l, 1]).dataSync();
  const signal = relF(uniform, exact) * Math.sqrt(exact.reduce((p, x) => p + x * x, 0)); // ||U - E||
  const relSignal = (a) => (relF(a, exact) * Math.sqrt(exact.reduce((p, x) => p + x * x, 0))) / signal;
  for (const m of featureCounts) {
    const errs = { plain: [], perf: [], plainS: [], perfS: [] };
    for (let r = 0; r < draws; r++) {
      const w = tf.tensor2d(orthogonalRandomFeatures(m, d, new Rng(1000 + r)), [m, d]);
      const a = favorAttention(q, k, v, w, { stabilize: false, epsilon: 0 });
      const b = favorAttention(q, k, v, w, { stabilize: 'performer', epsilon: 1e-4 });
      errs.plain.push(relF(a.dataSync(), exact));
      errs.perf.push(relF(b.dataSync(), exact));
      errs.plainS.push(relSignal(a.dataSync()));
      errs.perfS.push(relSignal(b.dataSync()));
      tf.dispose([w, a, b]);
    }
    const mean = (x) => x.reduce((p, c) => p + c, 0) / x.length;
    rows.push({
      logitStd,
      m,
      plain: mean(errs.plain),
      plainMax: Math.max(...errs.plain),
      perf: mean(errs.perf),
      plainS: mean(errs.plainS),
      perfS: mean(errs.perfS),
      uniform: relF(uniform, exact),
    });
  }
  tf.dispose([q, k, v]);
}
console.log(
  `Errors: ||A-E||/||E|| (Frobenius) and, in brackets, ||A-E||/||U-E|| where U is uniform attention (mean of V): 1.0 = no better than ignoring the attention weights. Means over ${draws} draws of W.`,
);
console.log(
  `| logit std | m | note | unbiased, eps 0 (block default): mean / worst [vs uniform] | Performer code, eps 1e-4 [vs uniform] | uniform attention |`,
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const note =
    r.m === d / 2
      ? 'd/2 (paper tables)'
      : r.m === d
        ? 'd'
        : r.m === Math.round(d * Math.log(d))
          ? 'd·ln d (Performer default)'
          : '';
  console.log(
    `| ${r.logitStd} | ${r.m} | ${note} | ${r.plain.toFixed(4)} / ${r.plainMax.toFixed(4)} [${r.plainS.toFixed(2)}] | ${r.perf.toFixed(4)} [${r.perfS.toFixed(2)}] | ${r.uniform.toFixed(4)} |`,
  );
}
