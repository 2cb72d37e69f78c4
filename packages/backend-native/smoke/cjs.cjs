// Plain-node CommonJS check of the built package: loads the addon (or reports why not) and runs a
// native conv on cpu against the stock kernel.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { loadNative, registerNativeKernels, unregisterNativeKernels } = require('@evdm/backend-native');

(async () => {
  const status = loadNative();
  if (!status.ok) {
    if (process.env.CI) throw new Error(`native addon unusable in CI: ${status.reason}`);
    console.log(`backend-native cjs ok (addon not built: ${status.reason})`);
    return;
  }
  await tf.setBackend('cpu');
  const x = tf.randomNormal([1, 7, 7, 3], 0, 1, 'float32', 1);
  const w = tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2);
  const want = tf.conv2d(x, w, 1, 'valid').dataSync();
  registerNativeKernels('cpu');
  const got = tf.conv2d(x, w, 1, 'valid').dataSync();
  unregisterNativeKernels();
  const err = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
  if (!(err < 1e-4)) throw new Error(`native conv differs from stock by ${err}`);
  console.log(`backend-native cjs ok (oneDNN ${status.version})`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
