// Plain-node ESM check of the built evdm package: backend init (gradients), a tiny U-Net forward +
// backward, and the exact MCVD parameter count.
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng } from '@evdm/core';
import { DenoisingUNet, initBackend, modelConfig, writeGif } from 'evdm';

await initBackend({ log: () => {} });
if (new DenoisingUNet(modelConfig('mcvd', 'kth')).paramCount() !== 62831141) throw new Error('MCVD-KTH parameter count');
const net = new DenoisingUNet({ arch: 'evdm', baseChannels: 8, channelMult: [1, 2], imageSize: 16, attnResolutions: [8], imageChannels: 1, pastFrames: 2, currentFrames: 1, brp: { delta: 4, channelSplit: true, shortcutGroups: 2 }, attention: { mode: 'gate' } });
const p = new ParamStore(net.paramSpecs(), new Rng(0));
const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 1);
const c = tf.randomNormal([2, 16, 16, 2], 0, 1, 'float32', 2);
const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(x, net.apply(p.read, x, [3, 900], c, { training: true, seed: 1 })))), p.trainableVariables());
if (!Number.isFinite(value.dataSync()[0]) || Object.keys(grads).length !== p.trainableVariables().length) throw new Error('training pass');
writeGif('/tmp/evdm-smoke-esm.gif', [new Uint8Array(4)], { width: 2, height: 2, channels: 1 });
console.log('evdm esm ok');
