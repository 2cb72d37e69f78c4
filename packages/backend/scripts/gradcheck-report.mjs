// Prints, for every kernel evdm registers on wasm, the worst relative L2 error against the cpu
// backend over random inputs (kernel outputs and autodiff gradients through them).
// Usage (after build): node scripts/gradcheck-report.mjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ensureGradients, registerWasmTrainingKernels } from '@evdm/backend';

ensureGradients();
await tf.setBackend('wasm');
registerWasmTrainingKernels();
tf.findBackend('cpu').firstUse = false;

let seed = 1;
const data = (shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = seed++;
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s * 78.233) * 0.9 + Math.cos(i * 0.37 + s));
};
// The cotangent r must be identical on both backends: derived from the shape only.
const fixed = (shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + 0.5));
};
async function on(backend, inputs, fn) {
  await tf.setBackend(backend);
  const xs = inputs.map(([shape, vals]) => tf.tensor(vals, shape));
  const out = [fn(...xs)].flat();
  const vals = out.map((t) => t.dataSync().slice());
  tf.dispose([...xs, ...out]);
  return vals;
}
const grads =
  (f) =>
  (...xs) => {
    const shape = tf.tidy(() => f(...xs).shape);
    const r = tf.tensor(fixed(shape), shape);
    const g = tf.grads((...ys) => tf.sum(tf.mul(f(...ys), r)))(xs);
    r.dispose();
    return g;
  };
function rel(a, b) {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
async function check(shapes, fn) {
  const inputs = shapes.map((s) => [s, data(s)]);
  const ref = await on('cpu', inputs, fn);
  const got = await on('wasm', inputs, fn);
  return Math.max(...got.map((g, i) => rel(g, ref[i])));
}
const worst = {};
const note = (kernel, e) => {
  worst[kernel] = Math.max(worst[kernel] ?? 0, e);
};

for (const [b, h, w, ci, co, k, s, pad] of [
  [2, 7, 9, 3, 5, 3, 1, 'same'],
  [3, 9, 7, 6, 10, 3, 2, 'same'],
  [2, 8, 6, 5, 7, 3, 2, 'valid'],
  [2, 5, 6, 13, 9, 1, 1, 'same'],
  [1, 10, 11, 12, 20, 5, 2, 'same'],
  [2, 10, 9, 3, 4, 2, 3, 'same'],
]) {
  const e = await check(
    [
      [b, h, w, ci],
      [k, k, ci, co],
    ],
    grads((x, f) => tf.conv2d(x, f, s, pad)),
  );
  note('Conv2DBackpropFilter + Conv2DBackpropInput (conv2d grads)', e);
  const oh = pad === 'same' ? Math.ceil(h / s) : Math.ceil((h - k + 1) / s);
  const ow = pad === 'same' ? Math.ceil(w / s) : Math.ceil((w - k + 1) / s);
  note(
    'Conv2DBackpropInput (conv2dTranspose forward)',
    await check(
      [
        [b, oh, ow, co],
        [k, k, ci, co],
      ],
      (d, f) => tf.conv2dTranspose(d, f, [b, h, w, ci], s, pad),
    ),
  );
  note(
    'Conv2DBackpropFilter (kernel output)',
    await check(
      [
        [b, h, w, ci],
        [b, oh, ow, co],
      ],
      (x, d) =>
        tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy: d }, { strides: s, pad, dataFormat: 'NHWC', filterShape: [k, k, ci, co] }),
    ),
  );
}
for (const [b, h, w, c, m, k, s, pad] of [
  [2, 7, 6, 5, 1, 3, 1, 'same'],
  [2, 9, 8, 3, 2, 3, 2, 'same'],
  [3, 8, 7, 4, 3, 3, 2, 'valid'],
]) {
  note(
    'DepthwiseConv2dNativeBackpropInput + ...Filter (depthwise grads)',
    await check(
      [
        [b, h, w, c],
        [k, k, c, m],
      ],
      grads((x, f) => tf.depthwiseConv2d(x, f, s, pad)),
    ),
  );
}
for (const [ta, tb] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]) {
  for (const [bt, m, k, n] of [
    [3, 5, 7, 6],
    [3, 17, 19, 23],
  ]) {
    const a = ta ? [bt, k, m] : [bt, m, k];
    const bb = tb ? [bt, n, k] : [bt, k, n];
    note('BatchMatMul (forward)', await check([a, bb], (x, y) => tf.matMul(x, y, ta, tb)));
    note(
      'BatchMatMul (grads)',
      await check(
        [a, bb],
        grads((x, y) => tf.matMul(x, y, ta, tb)),
      ),
    );
    const ef = await check([a, bb, [n]], (x, y, z) =>
      tf.fused.matMul({ a: x, b: y, bias: z, activation: 'relu', transposeA: ta, transposeB: tb }),
    );
    if (process.env.DEBUG) console.log('fused fwd', ta, tb, bt, m, k, n, ef);
    note('_FusedMatMul bias+relu (forward)', ef);
    note(
      '_FusedMatMul bias+relu (grads)',
      await check(
        [a, bb, [n]],
        grads((x, y, z) => tf.fused.matMul({ a: x, b: y, bias: z, activation: 'relu', transposeA: ta, transposeB: tb })),
      ),
    );
  }
}
console.log('worst relative L2 error, wasm + evdm kernels vs cpu:');
for (const [k, e] of Object.entries(worst)) console.log(`  ${k.padEnd(66)} ${e.toExponential(2)}`);
