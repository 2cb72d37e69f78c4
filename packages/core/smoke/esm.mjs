// Plain-node ESM check of the built package (exports map, gradients, subpath entry).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { groupNorm, ParamStore, Rng } from '@evdm/core';
import { ModuleLayer } from '@evdm/core/layers';

await tf.setBackend('cpu');
const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
const y = groupNorm({ x, groups: 1, eps: 1e-5 });
const mean = tf.mean(y).dataSync()[0];
if (Math.abs(mean) > 1e-6) throw new Error(`groupNorm mean ${mean}`);
const g = tf.grad((t) => tf.sum(tf.square(groupNorm({ x: t, groups: 2, eps: 1e-5, activation: 'silu' }))))(x);
if (!g.dataSync().every(Number.isFinite)) throw new Error('gradient not finite');
const store = new ParamStore([{ name: 'w', shape: [2, 2], init: { kind: 'varianceScaling', scale: 1 } }], new Rng(1));
if (store.count() !== 4) throw new Error('param count');
if (typeof ModuleLayer !== 'function') throw new Error('layers entry');
console.log('core esm ok');
