// Plain-node ESM check of the built package: backend selection, gradient loading, and a
// training-style gradient on wasm compared with the same gradient on cpu.
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, ensureGradients, selectBackend } from '@evdm/backend';

const lines = [];
const sel = await selectBackend({ backend: 'wasm', log: (l) => lines.push(l) });
if (sel.name !== 'wasm' || lines.length !== 1 || !/^evdm: backend wasm \(/.test(lines[0])) {
  throw new Error(`unexpected selection ${JSON.stringify(sel)} / ${JSON.stringify(lines)}`);
}
const from = ensureGradients();
if (from !== '@tensorflow/tfjs-layers' && from !== 'already-registered') throw new Error(`gradients: ${from}`);

function lossGrads() {
  const x = tf.tensor4d(
    Float32Array.from({ length: 2 * 9 * 7 * 3 }, (_, i) => Math.sin(i * 0.37)),
    [2, 9, 7, 3],
  );
  const w1 = tf.tensor4d(
    Float32Array.from({ length: 3 * 3 * 3 * 5 }, (_, i) => Math.cos(i * 0.11) * 0.3),
    [3, 3, 3, 5],
  );
  const w2 = tf.tensor4d(
    Float32Array.from({ length: 3 * 3 * 5 * 4 }, (_, i) => Math.sin(i * 0.23) * 0.3),
    [3, 3, 5, 4],
  );
  const g = tf.grads((a, b, c) => {
    const h = tf.conv2d(a, b, 2, 'same');
    const s = tf.mul(h, tf.sigmoid(h));
    const y = tf.conv2d(s, c, 1, 'same');
    const q = tf.reshape(y, [2, -1, 4]);
    return tf.mean(tf.square(tf.matMul(q, q, true, false)));
  })([x, w1, w2]);
  const out = g.map((t) => Array.from(t.dataSync()));
  tf.dispose([x, w1, w2, ...g]);
  return out;
}
const onWasm = lossGrads();
await selectBackend({ backend: 'cpu', log: () => {} });
const onCpu = lossGrads();
onWasm.forEach((g, i) => {
  let num = 0,
    den = 0;
  g.forEach((v, j) => {
    num += (v - onCpu[i][j]) ** 2;
    den += onCpu[i][j] ** 2;
  });
  const rel = Math.sqrt(num / den);
  if (!(rel < 1e-4)) throw new Error(`gradient ${i}: wasm vs cpu relative error ${rel}`);
});
if (!/^cpu \(/.test(describeBackend())) throw new Error(describeBackend());
console.log('backend esm ok:', lines[0]);
