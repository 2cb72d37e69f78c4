// Prints the max absolute errors of this package against <repo>/test-fixtures/golden/favor.json (float32).
// Usage: node bench/golden-errors.mjs [--backend cpu|wasm]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { favorAttention, softmaxAttention } from '@evdm/attention-mixed';

const bi = process.argv.indexOf('--backend');
await tf.setBackend(bi < 0 ? 'cpu' : process.argv[bi + 1]);
console.log(`backend ${tf.getBackend()}`);
const fixtures = join(new URL('../../..', import.meta.url).pathname, 'test-fixtures');
const gold = JSON.parse(readFileSync(join(fixtures, 'golden', 'favor.json'), 'utf8'));
const flat = (a) => a.flat(Infinity);
const maxAbs = (a, b) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
const W = tf.tensor2d(flat(gold.W), [gold.W.length, gold.W[0].length]);
console.log('| case | exact | FAVOR+ plain | stabilised, eps 0 (vs plain) | stabilised, eps 1e-4 (vs Performer code) |');
console.log('|---|---|---|---|---|');
for (const c of gold.cases) {
  const [q, k, v] = [c.Q, c.K, c.V].map((a) => tf.tensor3d(flat(a), [1, c.L, c.d]));
  const e = maxAbs(softmaxAttention(q, k, v).dataSync(), flat(c.exact_attention_output));
  const p = maxAbs(favorAttention(q, k, v, W, { stabilize: false }).dataSync(), flat(c.favor_plain_output));
  const s0 = maxAbs(favorAttention(q, k, v, W, { stabilize: true }).dataSync(), flat(c.favor_plain_output));
  const s4 = maxAbs(
    favorAttention(q, k, v, W, { stabilize: true, epsilon: 1e-4 }).dataSync(),
    flat(c['favor_performer_code_eps1e-4_output']),
  );
  console.log(`| ${c.name} | ${e.toExponential(2)} | ${p.toExponential(2)} | ${s0.toExponential(2)} | ${s4.toExponential(2)} |`);
}
