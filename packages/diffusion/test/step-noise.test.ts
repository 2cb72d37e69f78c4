// `stepNoise`: replaying given step noise. With a zero denoiser x̂0 = x/√ᾱ (clipped), the DDPM update is
// coefX0·x̂0 + coefXt·x + σ·z, so the result is a known affine function of x_T and the draws.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../../../test-utils/tf';
import { NoiseSchedule } from '../src/schedule';
import { ddpmSample } from '../src/samplers';
import { ddimSample } from '../src/samplers';
import { samplingPlan } from '../src/samplers';
import { ddpmCoefficients } from '../src/samplers';

beforeAll(useCpu);
const schedule = new NoiseSchedule();
const zero = (x: tf.Tensor4D) => tf.zerosLike(x);

describe('stepNoise', () => {
  it('DDPM adds exactly the given draws, one per step but the last', () => {
    const shape: [number, number, number, number] = [1, 2, 2, 1];
    const xT = tf.tensor4d([0.1, -0.2, 0.3, 0.05], shape);
    const z = [0, 1, 2, 3].map((k) => tf.fill(shape, 0.1 * (k + 1)) as tf.Tensor4D);
    const asked: number[] = [];
    const out = ddpmSample({ schedule, denoiser: zero, xT, steps: 5, clipX0: false, stepNoise: (k) => (asked.push(k), z[k]) });
    expect(asked).toEqual([0, 1, 2, 3]);
    // host replay in float64
    const plan = samplingPlan(schedule, { steps: 5 });
    let x = Array.from(xT.dataSync());
    plan.forEach((step, k) => {
      const c = ddpmCoefficients(step);
      x = x.map((v) => c.coefX0 * v * c.x0CoefXt + c.coefXt * v + (k < plan.length - 1 ? c.sigma * 0.1 * (k + 1) : 0));
    });
    const got = out.dataSync();
    x.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    tf.dispose([xT, out, ...z]);
  });
  it('a draw of the wrong shape is a clear error', () => {
    const xT = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    const bad = tf.zeros([1, 2, 2, 2]) as tf.Tensor4D;
    expect(() => ddpmSample({ schedule, denoiser: zero, xT, steps: 3, stepNoise: () => bad })).toThrow(
      /ddpmSample: stepNoise\(0\) returned shape \[1,2,2,2\], expected \[1,2,2,1\]/,
    );
    expect(() => ddimSample({ schedule, denoiser: zero, xT, steps: 3, eta: 1, stepNoise: () => bad })).toThrow(
      /ddimSample: stepNoise\(0\)/,
    );
    tf.dispose([xT, bad]);
  });
});
