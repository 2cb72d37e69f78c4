// Plain-node ESM check of the built package: loads the addon (or reports why not), runs a conv,
// a matmul and the fused GroupNorm natively on cpu and compares with the stock kernels.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { groupNormComposed } from '@evdm/core';
import { fusedGroupNorm, loadNative, registerNativeKernels, unregisterNativeKernels } from '@evdm/backend-native';

const status = loadNative();
if (!status.ok) {
  if (process.env.CI) throw new Error(`native addon unusable in CI: ${status.reason}`);
  console.log(`backend-native esm ok (addon not built: ${status.reason})`);
  process.exit(0);
}
await tf.setBackend('cpu');
const x = tf.randomNormal([2, 9, 9, 8], 0, 1, 'float32', 1);
const w = tf.randomNormal([3, 3, 8, 4], 0, 1, 'float32', 2);
const run = () => [
  tf.conv2d(x, w, 2, 'same'),
  tf.matMul(tf.reshape(x, [18, 72]), tf.reshape(x, [72, 18])),
  fusedGroupNorm({ x, groups: 2, eps: 1e-5, activation: 'silu' }),
];
const want = [
  tf.conv2d(x, w, 2, 'same'),
  tf.matMul(tf.reshape(x, [18, 72]), tf.reshape(x, [72, 18])),
  groupNormComposed({ x, groups: 2, eps: 1e-5, activation: 'silu' }),
].map((t) => t.dataSync());
const names = registerNativeKernels('cpu');
if (!names.includes('Conv2D')) throw new Error('Conv2D not registered');
const got = run().map((t) => t.dataSync());
unregisterNativeKernels();
got.forEach((g, k) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < g.length; i++) {
    num += (g[i] - want[k][i]) ** 2;
    den += want[k][i] ** 2;
  }
  if (!(Math.sqrt(num / den) < 1e-4)) throw new Error(`output ${k} differs from the stock kernel`);
});
console.log(`backend-native esm ok (oneDNN ${status.version}, ${status.threads} threads)`);
