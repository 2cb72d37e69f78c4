// Kernel-level timing (not a test): 3x3 conv, 64 -> 64 channels, 32x32, batch 8, SAME; forward and
// forward + dx + dW, native (oneDNN) vs the pure TF.js kernels on the wasm host, native on the cpu host
// (tfjs-backend-cpu's own JS conv takes seconds here and is skipped).
// Median of --runs (default 15) after 3 warm-ups.   node packages/backend-native/bench/conv-kernel.mjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { loadNative, registerNativeKernels, unregisterNativeKernels } from '@evdm/backend-native';
import { median, timeOnce } from '../../../scripts/bench-timing.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 15) || 15;
const status = loadNative();
if (!status.ok) throw new Error(`native addon unavailable: ${status.reason}`);
const flops = 2 * 8 * 32 * 32 * 64 * 64 * 9;
function time(fn) {
  for (let i = 0; i < 3; i++) tf.dispose(fn());
  const ts = [];
  for (let i = 0; i < runs; i++) {
    let out;
    ts.push(
      timeOnce(() => {
        out = fn();
        (Array.isArray(out) ? out : [out]).forEach((t) => t.dataSync());
      }),
    );
    tf.dispose(out);
  }
  return median(ts);
}
for (const host of ['wasm', 'cpu']) {
  await tf.setBackend(host);
  if (host === 'wasm') registerWasmTrainingKernels();
  const x = tf.randomNormal([8, 32, 32, 64], 0, 1, 'float32', 1);
  const w = tf.randomNormal([3, 3, 64, 64], 0, 0.1, 'float32', 2);
  const fwd = () => tf.conv2d(x, w, 1, 'same');
  const all = () => tf.grads((a, b) => tf.sum(tf.conv2d(a, b, 1, 'same')))([x, w]);
  for (const native of host === 'cpu' ? [true] : [false, true]) {
    unregisterNativeKernels();
    if (native) registerNativeKernels(host);
    const f = time(fwd);
    const g = time(all);
    console.log(
      `${host.padEnd(4)} ${native ? `native (${status.threads} thr)` : 'pure TF.js  '}: forward ${f.toFixed(1)} ms (${(flops / f / 1e6).toFixed(0)} GFLOP/s), forward + dx + dW ${g.toFixed(1)} ms`,
    );
  }
  unregisterNativeKernels();
  tf.dispose([x, w]);
}
