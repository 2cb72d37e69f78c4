// Plain-node CommonJS check of the built package.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-layers');
const { ParamStore, Rng } = require('@evdm/core');
const { McvdResBlock, firUpsample } = require('@evdm/layers-brp');
const { McvdResBlockLayer } = require('@evdm/layers-brp/layers');

(async () => {
  await tf.setBackend('cpu');
  const u = firUpsample(tf.ones([1, 2, 2, 1])).dataSync(); // corner 0.75·0.75, not bilinear's 1
  if (Math.abs(u[0] - 0.5625) > 1e-6) throw new Error(`firUpsample ${u[0]}`);
  const blk = new McvdResBlock({ name: 'r', inChannels: 8, outChannels: 8, tembChannels: 16, resample: 'up' });
  const store = new ParamStore(blk.paramSpecs(), new Rng(0));
  const y = blk.apply(store.read, tf.randomNormal([1, 4, 4, 8]), { temb: tf.randomNormal([1, 16]) });
  if (y.shape.join() !== '1,8,8,8' || !y.dataSync().every(Number.isFinite)) throw new Error('McvdResBlock');
  const layer = new McvdResBlockLayer({ name: 'r', inChannels: 8, outChannels: 8, tembChannels: 16 });
  if (layer.getConfig().inChannels !== 8) throw new Error('layer config');
  console.log('layers-brp cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
