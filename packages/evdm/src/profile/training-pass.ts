import * as tf from '@tensorflow/tfjs-core';
import { Rng, type ParamStore } from '@evdm/core';
import type { DenoisingUNet } from '../models/unet';

export interface TrainingPassResult {
  /** ε-MSE of the pass (random inputs and target noise). */
  loss: number;
  milliseconds: number;
  gradients: number;
  /** Tensors alive after the pass that were not before (0 when nothing leaks). */
  leakedTensors: number;
}

/**
 * One forward + backward pass of a network on seeded random inputs at standard timestep `t`,
 * timed, with the tensor count checked around it (`rematerialize`: gradient checkpointing, see UNetContext). Used by `evdm main` and the preset benchmark.
 */
export async function measureTrainingPass(
  net: DenoisingUNet,
  params: ParamStore,
  {
    batch = 1,
    seed = 0,
    t = 500,
    rematerialize = false,
  }: { batch?: number; seed?: number; t?: number; rematerialize?: boolean } = {},
): Promise<TrainingPassResult> {
  const cfg = net.config;
  const rng = new Rng(seed);
  const s = cfg.imageSize;
  const cx = cfg.currentFrames * cfg.imageChannels;
  const cc = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
  const xt = tf.tensor4d(rng.normalArray(batch * s * s * cx), [batch, s, s, cx]);
  const eps = tf.tensor4d(rng.normalArray(batch * s * s * cx), [batch, s, s, cx]);
  const cond = cc > 0 ? tf.tensor4d(rng.normalArray(batch * s * s * cc), [batch, s, s, cc]) : null;
  try {
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () =>
        tf.mean(
          tf.square(
            tf.sub(eps, net.apply(params.read, xt, new Array(batch).fill(t), cond, { training: true, seed, rematerialize })),
          ),
        ) as tf.Scalar,
      params.trainableVariables(),
    );
    const loss = (await value.data())[0];
    const milliseconds = performance.now() - t0;
    const gradients = Object.keys(grads).length;
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, milliseconds, gradients, leakedTensors: tf.memory().numTensors - before };
  } finally {
    tf.dispose([xt, eps, ...(cond ? [cond] : [])]);
  }
}
