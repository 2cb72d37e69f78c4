// Plain-node ESM check of the built package (exports map, both entry points, gradients).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { ParamStore, Rng } from '@evdm/core';
import {
  BottleneckResidualPathway,
  McvdResBlock,
  channelShuffle,
  channelSplitPlan,
  firDownsample,
  groupedConv1x1,
} from '@evdm/layers-brp';
import { BottleneckResidualPathwayLayer, McvdResBlockLayer } from '@evdm/layers-brp/layers';

await tf.setBackend('cpu');
// MCVD closed form (docs/mcvd-reference.md §4.3) for KTH 96 → 192: Dense_0 + Conv_0 + Dense_1 + Conv_1 + Conv_2
const res = new McvdResBlock({ name: 'r', inChannels: 96, outChannels: 192, tembChannels: 384 });
if (res.paramCount() !== 738432) throw new Error(`McvdResBlock params ${res.paramCount()}`);
const split = channelSplitPlan(768, 384);
if (split.direct + 2 * split.pathOut !== 384) throw new Error('split plan');

// grouped conv with identity-like kernel: groups=2, each group maps its 2 channels to themselves
const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
const k = tf.tensor4d([1, 0, 1, 0, 0, 1, 0, 1], [1, 1, 2, 4]); // [cin/g, cout]: local i → o
const y = groupedConv1x1(x, k, null, 2).dataSync();
if ([...y].join() !== '1,2,3,4') throw new Error(`groupedConv1x1 ${[...y]}`);
if ([...channelShuffle(x, 2).dataSync()].join() !== '1,3,2,4') throw new Error('channelShuffle');
const d = firDownsample(tf.ones([1, 4, 4, 1])).dataSync(); // corner = (3+3+1)/8 per axis
if (Math.abs(d[0] - (7 / 8) ** 2) > 1e-6) throw new Error(`firDownsample ${d[0]}`);

const brp = new BottleneckResidualPathway({
  name: 'b',
  inChannels: 8,
  outChannels: 16,
  tembChannels: 8,
  resample: 'down',
  channelSplit: true,
  shortcutGroups: 4,
});
const store = new ParamStore(brp.paramSpecs(), new Rng(0));
const xi = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 1);
const temb = tf.randomNormal([2, 8], 0, 1, 'float32', 2);
const g = tf.grad((t) => tf.sum(brp.apply(store.read, t, { temb })))(xi);
if (!g.dataSync().every(Number.isFinite) || g.shape.join() !== '2,8,8,8') throw new Error('BRP gradient');
if (typeof McvdResBlockLayer !== 'function' || typeof BottleneckResidualPathwayLayer !== 'function')
  throw new Error('layers entry');
console.log('layers-brp esm ok');
