// Plain-node CommonJS check of the built package.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-layers');
const { ParamStore, Rng } = require('@evdm/core');
const { SpatialSelfAttention } = require('@evdm/attention-mixed');
const { SpatialSelfAttentionLayer } = require('@evdm/attention-mixed/layers');
const tfl = require('@tensorflow/tfjs-layers');

(async () => {
  await tf.setBackend('cpu');
  const cfg = { name: 'attn', channels: 8, headChannels: 4, mode: 'favor', seed: 2 };
  const blk = new SpatialSelfAttention(cfg);
  const store = new ParamStore(blk.paramSpecs(), new Rng(2));
  const x = tf.randomNormal([1, 4, 4, 8], 0, 1, 'float32', 1);
  const y = blk.apply(store.read, x).dataSync();
  const model = tfl.sequential({
    layers: [tfl.layers.inputLayer({ inputShape: [4, 4, 8] }), new SpatialSelfAttentionLayer(cfg)],
  });
  const z = model.predict(x).dataSync();
  const d = Math.max(...Array.from(y, (a, i) => Math.abs(a - z[i])));
  if (d !== 0) throw new Error(`layer vs block differ by ${d}`);
  const flops = blk.flops(64, 32, 32, { favorCore: 'paper-fit' }).reduce((s, e) => s + e.flops, 0);
  if (flops <= 0) throw new Error('flops');
  console.log('attention-mixed cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
