/**
 * Forward-process maths on tensors (paper Eq. 2 and the posterior of §3.1). Per-sample coefficients
 * are looked up in float64 on the host and enter the graph as float32 constants.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NoiseSchedule } from './schedule';

/** Per-sample timesteps: a number array or a 1-D int32 tensor, one entry per batch element. */
export type Timesteps = number[] | tf.Tensor1D;

/** Validates `t` against the batch size and the schedule and returns it as numbers. */
export function timestepArray(schedule: NoiseSchedule, t: Timesteps, batch: number, fn: string): number[] {
  let arr: number[];
  if (Array.isArray(t)) {
    arr = t;
  } else if (t instanceof tf.Tensor) {
    if (t.rank !== 1 || t.dtype !== 'int32') {
      throw new Error(`${fn}: t must be a number[] or a 1-D int32 tensor, got a ${t.dtype} tensor of shape [${t.shape}]`);
    }
    arr = Array.from(t.dataSync());
  } else {
    throw new Error(`${fn}: t must be a number[] or a 1-D int32 tensor`);
  }
  if (arr.length !== batch) throw new Error(`${fn}: t has ${arr.length} entries but the batch size is ${batch}`);
  arr.forEach((v, i) => schedule.checkTimestep(v, `${fn}: t[${i}]`));
  return arr;
}

/** A [B, 1, …, 1] float32 tensor of `table[t_b]`, broadcastable against a rank-`rank` batch. */
export function perSample(table: Float64Array, t: number[], rank: number): tf.Tensor {
  const shape = [t.length, ...new Array<number>(Math.max(rank - 1, 0)).fill(1)];
  return tf.tensor(
    Float32Array.from(t, (v) => table[v]),
    shape,
    'float32',
  );
}

function checkSameShape(fn: string, a: tf.Tensor, an: string, b: tf.Tensor, bn: string): void {
  if (!(a instanceof tf.Tensor) || !(b instanceof tf.Tensor)) throw new Error(`${fn}: ${an} and ${bn} must be tensors`);
  if (a.rank < 1 || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${fn}: ${an} has shape [${a.shape}] but ${bn} has shape [${b.shape}]`);
  }
}

/** q_sample: x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·noise, per sample (any rank, batch first). */
export function addNoise(schedule: NoiseSchedule, x0: tf.Tensor, t: Timesteps, noise: tf.Tensor): tf.Tensor {
  checkSameShape('addNoise', x0, 'x0', noise, 'noise');
  const ts = timestepArray(schedule, t, x0.shape[0], 'addNoise');
  return tf.tidy(() =>
    tf.add(
      tf.mul(perSample(schedule.sqrtAlphasCumprod, ts, x0.rank), x0),
      tf.mul(perSample(schedule.sqrtOneMinusAlphasCumprod, ts, x0.rank), noise),
    ),
  );
}

/** x0 = √(1/ᾱ_t)·x_t − √(1/ᾱ_t − 1)·ε (inverse of `addNoise` given the noise). */
export function predictX0FromEps(schedule: NoiseSchedule, xt: tf.Tensor, t: Timesteps, eps: tf.Tensor): tf.Tensor {
  checkSameShape('predictX0FromEps', xt, 'xt', eps, 'eps');
  const ts = timestepArray(schedule, t, xt.shape[0], 'predictX0FromEps');
  return tf.tidy(() =>
    tf.sub(
      tf.mul(perSample(schedule.sqrtRecipAlphasCumprod, ts, xt.rank), xt),
      tf.mul(perSample(schedule.sqrtRecipm1AlphasCumprod, ts, xt.rank), eps),
    ),
  );
}

/** Mean and variance of q(x_{t−1} | x_t, x0); variances are [B, 1, …, 1]. */
export interface Posterior {
  mean: tf.Tensor;
  variance: tf.Tensor;
  /** log β̃_t with t = 0 clipped to t = 1 (β̃_0 = 0). */
  logVarianceClipped: tf.Tensor;
}

/** Posterior q(x_{t−1} | x_t, x0) = N(coef1·x0 + coef2·x_t, β̃_t) (paper §3.1). */
export function posteriorMeanVariance(schedule: NoiseSchedule, x0: tf.Tensor, xt: tf.Tensor, t: Timesteps): Posterior {
  checkSameShape('posteriorMeanVariance', x0, 'x0', xt, 'xt');
  const ts = timestepArray(schedule, t, x0.shape[0], 'posteriorMeanVariance');
  const mean = tf.tidy(() =>
    tf.add(
      tf.mul(perSample(schedule.posteriorMeanCoef1, ts, x0.rank), x0),
      tf.mul(perSample(schedule.posteriorMeanCoef2, ts, x0.rank), xt),
    ),
  );
  return {
    mean,
    variance: perSample(schedule.posteriorVariance, ts, x0.rank),
    logVarianceClipped: perSample(schedule.posteriorLogVarianceClipped, ts, x0.rank),
  };
}
