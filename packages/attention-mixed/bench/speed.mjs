// Exact softmax vs FAVOR+ attention speed at KTH's three attention resolutions, on the cpu and
// wasm backends, forward and forward+backward (gradient w.r.t. the input).
// Usage: node bench/speed.mjs [--backends cpu,wasm] [--scope block,core] [--rounds 3] [--batch 1]
// Build the package first (pnpm --filter ./packages/attention-mixed build).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers gradients
import { ParamStore, Rng } from '@evdm/core';
import { SpatialSelfAttention, favorAttention, orthogonalRandomFeatures, softmaxAttention } from '@evdm/attention-mixed';
import { loadavg } from 'node:os';
import { median, timeOnce } from '../../../scripts/bench-timing.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const backends = arg('backends', 'cpu,wasm').split(',');
const rounds = Number(arg('rounds', '3'));
const batch = Number(arg('batch', '1'));
const levels = [
  { res: 32, channels: 192 },
  { res: 16, channels: 288 },
  { res: 8, channels: 384 },
];
const loadavg0 = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
function timeIt(fn) {
  let out;
  // wait for the result (block body: see dependency-notes on tidy + dataSync)
  const ms = timeOnce(() => {
    out = fn();
    out.dataSync();
  });
  out.dispose();
  return ms;
}

const rows = [];
const scopes = arg('scope', 'block,core').split(',');
for (const backend of backends)
  for (const scope of scopes) {
    await tf.setBackend(backend);
    await tf.ready();
    for (const { res, channels } of levels) {
      const mk = (mode) => new SpatialSelfAttention({ name: `l${res}`, channels, headChannels: 96, mode });
      const blocks = { softmax: mk('softmax'), favor: mk('favor') };
      const store = new ParamStore(blocks.favor.paramSpecs(), new Rng(0));
      const x = tf.randomNormal([batch, res, res, channels], 0, 1, 'float32', 1);
      // whole block (GroupNorm + 4 projections + core) or the attention core alone on [B·heads, L, d]
      const heads = channels / 96;
      const qkv = [1, 2, 3].map((s) => tf.randomNormal([batch * heads, res * res, 96], 0, 0.5, 'float32', s));
      const w = tf.tensor2d(orthogonalRandomFeatures(48, 96, new Rng(1)), [48, 96]);
      const core = {
        softmax: (q, k, v) => softmaxAttention(q, k, v),
        favor: (q, k, v) => favorAttention(q, k, v, w, { epsilon: 1e-4 }),
      };
      const run = (m, t) => (scope === 'block' ? blocks[m].apply(store.read, t) : core[m](t, qkv[1], qkv[2]));
      const input = () => (scope === 'block' ? x : qkv[0]);
      const fwd = (m) => () => run(m, input());
      const fwdBwd = (m) => () => tf.tidy(() => tf.grad((t) => tf.sum(run(m, t)))(input()));
      const times = { softmax: { f: [], b: [] }, favor: { f: [], b: [] } };
      for (const m of ['softmax', 'favor']) {
        timeIt(fwd(m));
        timeIt(fwdBwd(m));
      } // warm-up
      for (let r = 0; r < rounds; r++) {
        // interleave the two algorithms so background load hits both alike
        for (const m of ['softmax', 'favor']) {
          times[m].f.push(timeIt(fwd(m)));
          times[m].b.push(timeIt(fwdBwd(m)));
        }
      }
      const row = {
        backend,
        scope,
        L: res * res,
        C: channels,
        gateDecision: new SpatialSelfAttention({ name: 'g', channels, headChannels: 96, mode: 'gate' }).usesFavor(res, res)
          ? 'FAVOR+'
          : 'softmax',
        softmaxFwd: median(times.softmax.f),
        favorFwd: median(times.favor.f),
        softmaxFwdBwd: median(times.softmax.b),
        favorFwdBwd: median(times.favor.b),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      store.dispose();
      tf.dispose([x, w, ...qkv]);
    }
  }
console.log(
  `\n| backend | timed | L (H×W) | C | softmax fwd ms | FAVOR+ fwd ms | softmax fwd+bwd ms | FAVOR+ fwd+bwd ms | faster (fwd / fwd+bwd) | gate λ=2 picks |`,
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const faster = (a, b) => (a < b ? `softmax ×${(b / a).toFixed(2)}` : `FAVOR+ ×${(a / b).toFixed(2)}`);
  console.log(
    `| ${r.backend} | ${r.scope} | ${r.L} | ${r.C} | ${r.softmaxFwd.toFixed(1)} | ${r.favorFwd.toFixed(1)} | ${r.softmaxFwdBwd.toFixed(1)} | ${r.favorFwdBwd.toFixed(1)} | ${faster(r.softmaxFwd, r.favorFwd)} / ${faster(r.softmaxFwdBwd, r.favorFwdBwd)} | ${r.gateDecision} |`,
  );
}
console.log(
  `\nbatch ${batch}, d = 96, m = 48 (half-head), medians of ${rounds} interleaved rounds; load average at start ${loadavg0}; ${new Date().toISOString()}`,
);
