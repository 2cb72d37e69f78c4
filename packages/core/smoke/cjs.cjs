// Plain-node CommonJS check of the built package.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-layers');
const { groupNorm, mcvdGroupCount } = require('@evdm/core');
const { ModuleLayer } = require('@evdm/core/layers');

(async () => {
  await tf.setBackend('cpu');
  if (mcvdGroupCount(96) !== 24) throw new Error('group count');
  const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 1);
  const g = tf.grad((t) => tf.sum(groupNorm({ x: t, groups: 4, eps: 1e-5, activation: 'silu' })))(x);
  if (!g.dataSync().every(Number.isFinite)) throw new Error('gradient not finite');
  if (typeof ModuleLayer !== 'function') throw new Error('layers entry');
  console.log('core cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
