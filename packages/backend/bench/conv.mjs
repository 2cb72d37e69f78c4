// Benchmark: conv 3x3, 64 -> 64 channels, 32x32, batch 8 ('same'), forward and forward+backward,
// on cpu, wasm with stock kernels, and wasm + evdm training kernels; plus attention-style
// batched matmuls (4 heads, L=1024, d=64). Medians of N runs after one warm-up.
// Usage (after `pnpm --filter ./packages/backend build`): node bench/conv.mjs [--reps 7] [--cpu-reps 1] [--skip-cpu]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ensureGradients, registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '@evdm/backend';
import { medianMs } from '../../../scripts/bench-timing.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const REPS = arg('--reps', 7);
const CPU_REPS = arg('--cpu-reps', 1);
const SKIP_CPU = process.argv.includes('--skip-cpu');
ensureGradients();
const cpuBackend = () => tf.findBackend('cpu');

const [B, H, W, C] = [8, 32, 32, 64];
const convFlops = 2 * B * H * W * C * C * 9;
const [HEADS, L, D] = [4, 1024, 64];
const attFlops = 2 * 2 * HEADS * L * L * D; // q k^T and att v

// one warm-up call (kernel setup, XNNPACK operator creation), then the median of `reps`
const timeIt = (fn, reps) => medianMs(fn, reps);
function readAll(ts) {
  for (const t of ts) t.dataSync();
  tf.dispose(ts);
}

function convCases(x, w, full) {
  const fwd = () => readAll([tf.conv2d(x, w, 1, 'same')]);
  // Stock wasm lacks Conv2DBackpropFilter, so it can only take the input gradient.
  const bwd = full
    ? () => readAll(tf.grads((a, b) => tf.sum(tf.conv2d(a, b, 1, 'same')))([x, w]))
    : () => readAll([tf.grad((a) => tf.sum(tf.conv2d(a, w, 1, 'same')))(x)]);
  return { fwd, bwd };
}
function attention(q, k, v) {
  return () => readAll(tf.grads((a, b, c) => tf.sum(tf.matMul(tf.softmax(tf.matMul(a, b, false, true)), c)))([q, k, v]));
}

const rows = [];
function report(label, ms, flops) {
  rows.push({ label, ms, gflops: flops / ms / 1e6 });
  console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(10)} ms ${(flops / ms / 1e6).toFixed(2).padStart(8)} GFLOP/s`);
}

async function onBackend(name, setup, reps, fullBackward, label) {
  await tf.setBackend(name);
  if (name === 'cpu') cpuBackend().firstUse = false;
  setup?.();
  const x = tf.randomNormal([B, H, W, C], 0, 1, 'float32', 1);
  const w = tf.randomNormal([3, 3, C, C], 0, 0.05, 'float32', 2);
  const { fwd, bwd } = convCases(x, w, fullBackward);
  report(`${label}: conv3x3 fwd`, timeIt(fwd, reps), convFlops);
  report(
    `${label}: conv3x3 fwd+bwd${fullBackward ? '' : ' (dx only: no dW kernel)'}`,
    timeIt(bwd, reps),
    fullBackward ? 3 * convFlops : 2 * convFlops,
  );
  const q = tf.randomNormal([1, HEADS, L, D], 0, 0.1, 'float32', 3);
  const k = tf.randomNormal([1, HEADS, L, D], 0, 0.1, 'float32', 4);
  const v = tf.randomNormal([1, HEADS, L, D], 0, 0.1, 'float32', 5);
  report(
    `${label}: attention 4x1024x64 fwd+bwd`,
    timeIt(
      attention(q, k, v),
      name === 'cpu' ? Math.max(1, reps) : Math.max(1, Math.min(reps, name === 'wasm' && !fullBackward ? 1 : reps)),
    ),
    3 * attFlops,
  );
  tf.dispose([x, w, q, k, v]);
}

console.log(
  `conv 3x3 ${C}->${C} ${H}x${W} batch ${B}: ${(convFlops / 1e9).toFixed(3)} GFLOP fwd, x3 fwd+bwd; median of ${REPS} (cpu: ${CPU_REPS})`,
);
await onBackend('wasm', () => unregisterWasmTrainingKernels(), REPS, false, 'wasm stock');
await onBackend('wasm', () => registerWasmTrainingKernels(), REPS, true, 'wasm + evdm kernels');
if (!SKIP_CPU) await onBackend('cpu', null, CPU_REPS, true, 'cpu');
