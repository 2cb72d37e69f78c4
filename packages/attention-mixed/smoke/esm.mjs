// Plain-node ESM check of the built package (exports map, gradients, layers entry).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { ParamStore, Rng } from '@evdm/core';
import { SpatialSelfAttention, favorAttention, softmaxAttention, orthogonalRandomFeatures } from '@evdm/attention-mixed';
import { SpatialSelfAttentionLayer } from '@evdm/attention-mixed/layers';

await tf.setBackend('cpu');
const close = (a, b, tol, what) => {
  const d = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
  if (!(d <= tol)) throw new Error(`${what}: max diff ${d} > ${tol}`);
};

// identical keys: both algorithms return the mean of V
const q = tf.randomNormal([1, 5, 4], 0, 1, 'float32', 1);
const k = tf.tile(tf.randomNormal([1, 1, 4], 0, 1, 'float32', 2), [1, 5, 1]);
const v = tf.randomNormal([1, 5, 3], 0, 1, 'float32', 3);
const mean = tf.tile(tf.mean(v, 1, true), [1, 5, 1]).dataSync();
const w = tf.tensor2d(orthogonalRandomFeatures(8, 4, new Rng(1)), [8, 4]);
close(softmaxAttention(q, k, v).dataSync(), mean, 1e-6, 'softmax');
close(favorAttention(q, k, v, w).dataSync(), mean, 1e-5, 'favor');

// the gate picks FAVOR+ at 8x8 for d = 4 (L = 64 > 2·4) and softmax at 2x2
const blk = new SpatialSelfAttention({ name: 'attn', channels: 8, headChannels: 4, mode: 'gate' });
if (!blk.usesFavor(8, 8) || blk.usesFavor(2, 2)) throw new Error(`gate: ${blk.describe(8, 8)} / ${blk.describe(2, 2)}`);
const store = new ParamStore(blk.paramSpecs(), new Rng(0));
const x = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 4);
const g = tf.grad((t) => tf.sum(tf.square(blk.apply(store.read, t))))(x);
if (g.shape.join() !== '2,8,8,8' || !g.dataSync().every(Number.isFinite)) throw new Error('gradient');
// freshly initialised (output projection ~0): y = x / sqrt(2)
close(blk.apply(store.read, x).dataSync(), tf.mul(x, Math.SQRT1_2).dataSync(), 1e-4, 'init identity');
if (typeof SpatialSelfAttentionLayer !== 'function') throw new Error('layers entry');
console.log('attention-mixed esm ok');
