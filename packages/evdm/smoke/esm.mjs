// Plain-node ESM check of the built evdm package: backend init (gradients), a tiny U-Net forward +
// backward, and the exact MCVD parameter count.
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng } from '@evdm/core';
import {
  DenoisingUNet,
  initBackend,
  modelConfig,
  writeGif,
  Trainer,
  SyntheticClipSource,
  sampleVideo,
  networkDenoiser,
} from 'evdm';
import { MAIN_JOB } from 'evdm/internal';

await initBackend({ log: () => {} });
if (new DenoisingUNet(modelConfig('mcvd', 'kth')).paramCount() !== 62831141) throw new Error('MCVD-KTH parameter count');
if (
  DenoisingUNet.fromJSON(JSON.stringify(new DenoisingUNet(MAIN_JOB.network))).paramCount() !==
  new DenoisingUNet(MAIN_JOB.network).paramCount()
)
  throw new Error('evdm/internal MAIN_JOB, DenoisingUNet JSON round trip');
const net = new DenoisingUNet({
  arch: 'evdm',
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  imageChannels: 1,
  pastFrames: 2,
  currentFrames: 1,
  brp: { delta: 4, channelSplit: true, shortcutGroups: 2 },
  attention: { mode: 'gate' },
});
const p = new ParamStore(net.paramSpecs(), new Rng(0));
const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 1);
const c = tf.randomNormal([2, 16, 16, 2], 0, 1, 'float32', 2);
const { value, grads } = tf.variableGrads(
  () => tf.mean(tf.square(tf.sub(x, net.apply(p.read, x, [3, 900], c, { training: true, seed: 1 })))),
  p.trainableVariables(),
);
if (!Number.isFinite(value.dataSync()[0]) || Object.keys(grads).length !== p.trainableVariables().length)
  throw new Error('training pass');
writeGif('/tmp/evdm-smoke-esm.gif', [new Uint8Array(4)], { width: 2, height: 2, channels: 1 });
// two Trainer steps (masked loss, Adam, EMA) and a 2-block prediction roll-out
const tnet = {
  arch: 'evdm',
  baseChannels: 16,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  headChannels: 16,
  pastFrames: 2,
  currentFrames: 1,
};
const tr = new Trainer({
  network: tnet,
  train: { steps: 2, batchSize: 1, warmup: 1 },
  data: new SyntheticClipSource({ batchSize: 1, imageSize: 16, past: 2, current: 1 }),
});
const res = await tr.run();
if (res.length !== 2 || !res.every((r) => Number.isFinite(r.loss))) throw new Error('Trainer.run');
const past = tf.zeros([1, 2, 16, 16, 1]);
const vid = sampleVideo({
  mode: 'predict',
  denoiser: networkDenoiser(tr.net, tr.store.read),
  schedule: tr.schedule,
  layout: tr.networkConfig,
  past,
  horizon: 2,
  sampler: { sampler: 'ddim', steps: 2 },
});
if (vid.shape.join() !== '1,2,16,16,1' || !vid.dataSync().every((v) => v >= -1 && v <= 1)) throw new Error('sampleVideo');
tr.dispose();
console.log('evdm esm ok');
