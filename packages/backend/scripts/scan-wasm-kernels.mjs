// Runs forward + backward of the ops evdm's networks use on the wasm backend, once with the
// stock kernels and once with the evdm training kernels, and lists what fails (missing kernels)
// and which kernels dominate the time. Usage: node scripts/scan-wasm-kernels.mjs (after build).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { ensureGradients, registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '@evdm/backend';

ensureGradients();
await tf.setBackend('wasm');
await tf.ready();

const r = (shape, seed) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const silu = (t) => tf.mul(t, tf.sigmoid(t));
// name -> [input shapes, f(...inputs) -> tensor]
const ops = {
  'conv2d 3x3 s1': [
    [
      [4, 16, 16, 32],
      [3, 3, 32, 32],
    ],
    (x, w) => tf.conv2d(x, w, 1, 'same'),
  ],
  'conv2d 1x1': [
    [
      [4, 16, 16, 32],
      [1, 1, 32, 64],
    ],
    (x, w) => tf.conv2d(x, w, 1, 'same'),
  ],
  'conv2d 3x3 s2': [
    [
      [4, 16, 16, 32],
      [3, 3, 32, 32],
    ],
    (x, w) => tf.conv2d(x, w, 2, 'same'),
  ],
  'fused conv2d+bias+relu': [
    [[4, 16, 16, 32], [3, 3, 32, 32], [32]],
    (x, w, b) => tf.fused.conv2d({ x, filter: w, bias: b, pad: 'same', strides: 1, activation: 'relu' }),
  ],
  'depthwise conv2d': [
    [
      [4, 16, 16, 32],
      [3, 3, 32, 1],
    ],
    (x, w) => tf.depthwiseConv2d(x, w, 1, 'same'),
  ],
  'depthwise conv2d s2': [
    [
      [4, 16, 16, 32],
      [4, 4, 32, 1],
    ],
    (x, w) => tf.depthwiseConv2d(x, w, 2, 'same'),
  ],
  'conv2dTranspose s2': [
    [
      [4, 8, 8, 32],
      [3, 3, 32, 32],
    ],
    (x, w) => tf.conv2dTranspose(x, w, [4, 16, 16, 32], 2, 'same'),
  ],
  'matMul q k^T (attention)': [
    [
      [4, 256, 32],
      [4, 256, 32],
    ],
    (q, k) => tf.softmax(tf.matMul(q, k, false, true)),
  ],
  'matMul a^T b': [
    [
      [4, 128, 64],
      [4, 128, 64],
    ],
    (a, b) => tf.matMul(a, b, true, false),
  ],
  'fused matMul+bias': [[[64, 128], [128, 96], [96]], (a, b, c) => tf.fused.matMul({ a, b, bias: c, activation: 'relu' })],
  'GroupNorm-style + SiLU': [
    [[4, 16, 16, 32]],
    (x) => {
      const g = tf.reshape(x, [4, 16, 16, 8, 4]);
      const m = tf.mean(g, [1, 2, 4], true);
      const v = tf.mean(tf.square(tf.sub(g, m)), [1, 2, 4], true);
      return silu(tf.reshape(tf.mul(tf.sub(g, m), tf.rsqrt(tf.add(v, 1e-5))), [4, 16, 16, 32]));
    },
  ],
  squaredDifference: [
    [
      [4, 64],
      [4, 64],
    ],
    (a, b) => tf.squaredDifference(a, b),
  ],
  'FAVOR+ features exp/log/max': [
    [
      [4, 256, 32],
      [32, 48],
    ],
    (x, w) => {
      const p = tf.matMul(x, w);
      return tf.add(tf.exp(tf.sub(p, tf.max(p, -1, true))), tf.sum(tf.log(tf.add(tf.abs(x), 1)), -1, true));
    },
  ],
  'transpose/reshape/concat/slice/pad': [
    [
      [4, 8, 8, 16],
      [4, 8, 8, 16],
    ],
    (a, b) => {
      const c = tf.concat([a, b], 3);
      const t = tf.transpose(c, [0, 3, 1, 2]);
      const s = tf.slice(t, [0, 2, 1, 1], [4, 20, 6, 6]);
      return tf.pad(tf.reshape(s, [4, 20, 36]), [
        [0, 0],
        [1, 1],
        [2, 0],
      ]);
    },
  ],
  'avgPool 2x2': [[[4, 16, 16, 32]], (x) => tf.avgPool(x, 2, 2, 'valid')],
  'resizeNearest x2': [[[4, 8, 8, 32]], (x) => tf.image.resizeNearestNeighbor(x, [16, 16])],
  'sin/cos embedding': [[[8, 64]], (t) => tf.concat([tf.sin(t), tf.cos(t)], 1)],
  'einsum (no grad in tfjs)': [
    [
      [4, 8, 16],
      [4, 16, 8],
    ],
    (a, b) => tf.einsum('bij,bjk->bik', a, b),
  ],
};

function runAll(label) {
  console.log(`\n== ${label} ==`);
  for (const [name, [shapes, f]] of Object.entries(ops)) {
    const inputs = shapes.map((s, i) => r(s, i + 1));
    let status = 'ok';
    let top = '';
    try {
      const profile = tf.tidy(() => {
        let info;
        // profile is async; run synchronously via a kernel-name collector instead.
        const t0 = performance.now();
        const g = tf.grads((...xs) => tf.sum(f(...xs)))(inputs);
        g.forEach((t) => t.dataSync());
        info = performance.now() - t0;
        return info;
      });
      top = `${profile.toFixed(1)} ms fwd+bwd`;
    } catch (err) {
      const m =
        /kernel '?([A-Za-z0-9_]+)'? not registered|Cannot compute gradient|gradient function not found for ([A-Za-z0-9_]+)/i.exec(
          err.message,
        );
      status = `FAIL: ${m ? m[0] : err.message.split('\n')[0].slice(0, 100)}`;
    }
    tf.dispose(inputs);
    console.log(`${name.padEnd(36)} ${status.padEnd(8)} ${top}`);
  }
}

async function slowestKernels(label) {
  console.log(`\n== slowest kernels, ${label} ==`);
  const totals = new Map();
  for (const [name, [shapes, f]] of Object.entries(ops)) {
    if (name.startsWith('einsum')) continue;
    const inputs = shapes.map((s, i) => r(s, i + 1));
    try {
      const p = await tf.profile(() => {
        const g = tf.grads((...xs) => tf.sum(f(...xs)))(inputs);
        return g;
      });
      for (const k of p.kernels) totals.set(k.name, (totals.get(k.name) ?? 0) + (await k.kernelTimeMs));
      p.result.forEach((t) => t.dispose());
    } catch {
      // reported by runAll
    }
    tf.dispose(inputs);
  }
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .forEach(([k, ms]) => console.log(`${k.padEnd(36)} ${ms.toFixed(1)} ms`));
}

unregisterWasmTrainingKernels();
runAll('wasm, stock kernels');
await slowestKernels('stock');
registerWasmTrainingKernels();
runAll('wasm + evdm training kernels');
await slowestKernels('evdm kernels');
