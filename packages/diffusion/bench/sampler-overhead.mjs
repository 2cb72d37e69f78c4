// Sampler and loss overhead on the tfjs cpu backend, with a free (closed-form) denoiser, so the
// numbers are what the diffusion maths costs on top of the network. Run after building:
//   node packages/diffusion/bench/sampler-overhead.mjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { Rng } from '@evdm/core';
import { NoiseSchedule, ddimSample, ddpmSample, maskedConditioningLoss } from '@evdm/diffusion';
import { medianMs } from '../../../scripts/bench-timing.mjs';

await tf.setBackend('cpu');
const time = (fn, reps = 5) => medianMs(fn, reps);

const t0 = performance.now();
const schedule = new NoiseSchedule();
console.log(`NoiseSchedule (T=1000) construction: ${(performance.now() - t0).toFixed(2)} ms`);

// KTH layout: 5 predicted grey frames, 10 conditioning frames, 64x64
const shape = [1, 64, 64, 5];
const cond = tf.zeros([1, 64, 64, 10]);
const zero = (x) => tf.zerosLike(x);
for (const [name, fn] of [
  ['ddpm 100 steps', () => ddpmSample({ schedule, denoiser: zero, shape, cond, steps: 100, seed: 1 }).dispose()],
  ['ddim 100 steps', () => ddimSample({ schedule, denoiser: zero, shape, cond, steps: 100, seed: 1 }).dispose()],
  ['ddpm 1000 steps', () => ddpmSample({ schedule, denoiser: zero, shape, cond, seed: 1 }).dispose()],
]) {
  const ms = time(fn, name.includes('1000') ? 2 : 5);
  const steps = name.includes('1000') ? 1000 : 100;
  console.log(`${name} [${shape}] zero denoiser: ${ms.toFixed(1)} ms total, ${(ms / steps).toFixed(3)} ms/step`);
}

const past = tf.randomUniform([8, 10, 64, 64, 1], -1, 1);
const current = tf.randomUniform([8, 5, 64, 64, 1], -1, 1);
const rng = new Rng(1);
const lossMs = time(() => maskedConditioningLoss({ schedule, denoiser: zero, past, current, rng }).loss.dispose());
console.log(`maskedConditioningLoss batch 8, 10->5 frames 64x64, zero denoiser: ${lossMs.toFixed(1)} ms`);
console.log(`tensors alive at the end: ${tf.memory().numTensors} (3 inputs expected)`);
