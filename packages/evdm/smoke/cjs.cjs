// Plain-node CommonJS check of the built evdm package.
const tf = require('@tensorflow/tfjs-core');
const { ParamStore, Rng } = require('@evdm/core');
const { DenoisingUNet, initBackend, reproduceTable8, writeGif } = require('evdm');

(async () => {
  await initBackend({ log: () => {} });
  const rows = reproduceTable8();
  if (rows.length !== 9 || rows[0].params !== 62831141) throw new Error('table 8');
  const net = new DenoisingUNet({ arch: 'mcvd', baseChannels: 8, channelMult: [1, 2], imageSize: 16, attnResolutions: [8], imageChannels: 1, pastFrames: 1, currentFrames: 1 });
  const p = new ParamStore(net.paramSpecs(), new Rng(0));
  const g = tf.variableGrads(() => tf.mean(tf.square(net.apply(p.read, tf.ones([1, 16, 16, 1]), [10], tf.ones([1, 16, 16, 1]), { training: true }))), p.trainableVariables());
  if (!Number.isFinite(g.value.dataSync()[0])) throw new Error('training pass');
  writeGif('/tmp/evdm-smoke-cjs.gif', [new Uint8Array(4)], { width: 2, height: 2, channels: 1 });
  console.log('evdm cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
