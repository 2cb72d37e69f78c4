// Compares @evdm/metrics' I3D (built dist) with the PyTorch features written by
// crosscheck_random_i3d.py: node tools/crosscheck_random_i3d.mjs DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadI3D } from '@evdm/metrics';

const dir = process.argv[2];
await tf.setBackend('cpu');
const meta = JSON.parse(readFileSync(join(dir, 'crosscheck.json'), 'utf8'));
const f32 = (name) => {
  const b = readFileSync(join(dir, name)); // a pooled Buffer: respect its offset
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const x = tf.tensor5d(f32('input_ndhwc.f32'), meta.input_shape);
const want = f32('features.f32');
const i3d = loadI3D(join(dir, 'converted'));
const got = i3d.features(x).dataSync();
let maxAbs = 0;
let maxRef = 0;
for (let i = 0; i < want.length; i++) {
  maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
  maxRef = Math.max(maxRef, Math.abs(want[i]));
}
console.log(
  `features ${meta.features_shape}: max |tfjs - torch| = ${maxAbs.toExponential(3)} (max |torch| = ${maxRef.toFixed(3)})`,
);
if (!(maxAbs <= 1e-4 * Math.max(1, maxRef))) {
  console.error('MISMATCH');
  process.exit(1);
}
