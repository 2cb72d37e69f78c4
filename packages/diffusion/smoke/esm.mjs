// Plain-node ESM check of the built package: DDIM/DDPM with a closed-form denoiser, the masked loss
// with gradients, EMA.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { Rng } from '@evdm/core';
import { Ema, NoiseSchedule, ddimSample, ddpmSample, maskedConditioningLoss, mcvdLabel } from '@evdm/diffusion';

await tf.setBackend('cpu');
const schedule = NoiseSchedule.fromJSON(JSON.stringify(new NoiseSchedule()));
if (mcvdLabel(0, schedule.T) !== 999) throw new Error('mcvdLabel');
const c = tf.fill([1, 4, 4, 2], 0.4);
// exact noise for data that are always c: eps = (x_t - sqrt(abar) c) / sqrt(1 - abar)
const denoiser = (x, t) =>
  tf.tidy(() => {
    const a = schedule.alphasCumprod[t[0]];
    return tf.div(tf.sub(x, tf.mul(c, Math.sqrt(a))), Math.sqrt(1 - a));
  });
for (const sample of [ddimSample, ddpmSample]) {
  const out = sample({ schedule, denoiser, shape: [1, 4, 4, 2], steps: 50, seed: 1 });
  const err = Math.max(...out.dataSync().map((v) => Math.abs(v - 0.4)));
  if (!(err < 1e-4)) throw new Error(`${sample.name} missed the point mass by ${err}`);
  out.dispose();
}
const w = tf.variable(tf.fill([1, 1, 4, 2], 0.1));
const net = (x, _t, cond) => tf.conv2d(tf.concat([x, cond], 3), w, 1, 'same');
const ema = new Ema([w]);
const opt = tf.train.sgd(0.01);
const data = tf.randomUniform([2, 2, 4, 4, 1], -1, 1, 'float32', 1);
const rng = new Rng(3);
const loss = opt.minimize(() => maskedConditioningLoss({ schedule, denoiser: net, past: data, current: data, rng }).loss, true, [
  w,
]);
if (!Number.isFinite(loss.dataSync()[0])) throw new Error('loss not finite');
ema.update();
ema.withApplied(() => undefined);
console.log('diffusion esm ok');
