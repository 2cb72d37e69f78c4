// Benchmark: stride-2 conv2dTranspose (= Conv2DBackpropInput: upsampling forward, and the input
// gradient of a stride-2 downsampling conv), 3x3, 64 -> 64 channels, 16x16 -> 32x32, batch 8,
// wasm stock vs wasm + evdm kernels. Usage: node bench/strided.mjs [--reps 7]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '@evdm/backend';
import { medianMs } from '../../../scripts/bench-timing.mjs';

const i = process.argv.indexOf('--reps');
const REPS = i < 0 ? 7 : Number(process.argv[i + 1]);
await tf.setBackend('wasm');
const [B, H, W, C] = [8, 32, 32, 64];
const flops = 2 * B * (H / 2) * (W / 2) * C * C * 9;
const dy = tf.randomNormal([B, H / 2, W / 2, C], 0, 1, 'float32', 1);
const w = tf.randomNormal([3, 3, C, C], 0, 0.05, 'float32', 2);
const run = () => {
  const y = tf.conv2dTranspose(dy, w, [B, H, W, C], 2, 'same');
  y.dataSync();
  y.dispose();
};
const median = (fn) => medianMs(fn, REPS);
unregisterWasmTrainingKernels();
const stock = median(run);
registerWasmTrainingKernels();
const ours = median(run);
const fmt = (ms) => `${ms.toFixed(1)} ms (${(flops / ms / 1e6).toFixed(2)} GFLOP/s)`;
console.log(`conv2dTranspose 3x3 s2 ${C}ch ${H / 2}->${H}, batch ${B} (${(flops / 1e9).toFixed(3)} GFLOP)`);
console.log(`wasm stock:          ${fmt(stock)}`);
console.log(`wasm + evdm kernels: ${fmt(ours)}`);
