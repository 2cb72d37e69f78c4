import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  bestOfNReport,
  FvdAccumulator,
  type I3D,
  type I3DPreprocessOptions,
  type SsimConvention,
  type Summary,
} from '@evdm/metrics';
import type { DataConfig } from '../train/run-config';
import type { FrameLayout } from '../sample/predict';
import { copyLastFrame, perSampleMetrics } from '../sample/score';
import { writeComparisonGif, writeComparisonGrid } from '../sample/write';
import { openTestClips, type TestBatch } from './test-clips';

export type EvalMode = 'predict' | 'interpolate' | 'generate';

/** What the evaluation needs from a model: its frame layout and a sampler for one batch. */
export interface EvalModel {
  layout: FrameLayout;
  /**
   * Samples `[B·N, horizon, H, W, C]` in [-1, 1] for a batch (sample b·N + n = trajectory n of clip
   * b); `batch` is B (needed by `generate`, which has no input frames). Owned by the caller.
   */
  sample(args: {
    mode: EvalMode;
    past?: tf.Tensor5D;
    future?: tf.Tensor5D;
    horizon: number;
    trajectories: number;
    batch: number;
    seed: number;
    /** The real frames of the batch: only oracle models (tests) may look at them. */
    real: tf.Tensor5D;
  }): tf.Tensor5D;
}

export interface FvdSetup {
  i3d: I3D;
  preprocess?: I3DPreprocessOptions;
  /** Printed beside the number (e.g. "smoke: random I3D, not a real FVD"). */
  label?: string;
}

export interface EvaluateOptions {
  model: EvalModel;
  data: DataConfig;
  mode: EvalMode;
  /** predict/generate: frames to produce (autoregressive roll-out); interpolate: currentFrames. */
  horizon?: number;
  /** Test clips (default: the test set size). */
  clips?: number;
  trajectories: number;
  /** Clips per sampling batch. */
  batch: number;
  seed: number;
  /** FVD with this I3D; omitted = FVD skipped. */
  fvd?: FvdSetup;
  ssimConvention?: SsimConvention;
  /** Directory for grid.png and sample.gif of the first batch's clips (up to 8). */
  out?: string;
  onBatch?: (p: { batch: number; batches: number; clipsDone: number; clips: number; seconds: number }) => void;
}

export interface EvaluationResult {
  dataset: string;
  testSetSize: number | null;
  mode: EvalMode;
  past: number;
  future: number;
  horizon: number;
  clips: number;
  trajectories: number;
  /** Best-of-N PSNR over clips (null for generate, which has no ground truth per sample). */
  psnr: Summary | null;
  ssim: Summary | null;
  /** The copy-last-frame baseline (predict mode only). */
  copyLastFrame: { psnr: Summary; ssim: Summary } | null;
  fvd: number | null;
  fvdLabel: string | null;
  ssimConvention: SsimConvention;
  seconds: number;
  files: string[];
}

const unit = (x: tf.Tensor) => tf.clipByValue(tf.div(tf.add(x, 1), 2), 0, 1);

function repeatEach(x: tf.Tensor5D, n: number): tf.Tensor5D {
  if (n === 1) return tf.clone(x);
  return tf.tidy(
    () =>
      tf.gather(
        x,
        tf.tensor1d(
          Array.from({ length: x.shape[0] * n }, (_, i) => Math.floor(i / n)),
          'int32',
        ),
      ) as tf.Tensor5D,
  );
}

/**
 * Evaluates a model on the test split of `data` as the paper does (docs/mcvd-reference.md §10): every test clip
 * is sampled `trajectories` times; PSNR (from the frame-averaged MSE) and SSIM (frame mean) per
 * sample, the best of N per clip, then mean / std / 95% CI over clips. FVD (when an I3D is given)
 * compares real videos (one per clip) with all N samples per clip, conditioning frames prepended to
 * both (past before, future after the predicted frames). Batches stream: memory does not grow with
 * the number of clips.
 */
export async function evaluate(o: EvaluateOptions): Promise<EvaluationResult> {
  const L = o.model.layout;
  const mode = o.mode;
  const N = o.trajectories;
  if (!Number.isInteger(N) || N < 1) throw new Error(`trajectories must be a positive integer, got ${N}`);
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new Error(`batch must be a positive integer, got ${o.batch}`);
  if (mode === 'predict' && L.pastFrames === 0)
    throw new Error('--mode predict needs a model with past frames (this one has pastFrames 0)');
  if (mode === 'interpolate' && (L.pastFrames === 0 || L.futureFrames === 0)) {
    throw new Error(
      `--mode interpolate needs a model trained with past and future frames (this one has ${L.pastFrames} past, ${L.futureFrames} future; train with "futureFrames" in the network config)`,
    );
  }
  if (mode === 'interpolate' && o.horizon !== undefined && o.horizon !== L.currentFrames) {
    throw new Error(`--horizon ${o.horizon}: interpolation produces exactly the model's ${L.currentFrames} current frames`);
  }
  const horizon = mode === 'interpolate' ? L.currentFrames : (o.horizon ?? L.currentFrames);
  const past = mode === 'generate' ? 0 : L.pastFrames;
  const future = mode === 'interpolate' ? L.futureFrames : 0;
  const ssimConvention = o.ssimConvention ?? 'mcvd-luma-uint8';
  const test = await openTestClips(
    o.data,
    { past, current: horizon, future, imageSize: L.imageSize, imageChannels: L.imageChannels },
    o.clips,
  );
  const acc = o.fvd ? new FvdAccumulator({ i3d: o.fvd.i3d, preprocess: o.fvd.preprocess, batchSize: 10 }) : null;
  const mse: number[] = [];
  const ssim: number[] = [];
  const baseMse: number[] = [];
  const baseSsim: number[] = [];
  const files: string[] = [];
  const t0 = Date.now();
  const batches = Math.ceil(test.clips / o.batch);
  let k = 0;
  try {
    for await (const b of test.batches(o.batch)) {
      const B = b.current.shape[0];
      let predicted: tf.Tensor5D | null = null;
      try {
        predicted = o.model.sample({
          mode,
          past: b.past,
          future: b.future,
          horizon,
          trajectories: N,
          batch: B,
          seed: o.seed * 100_003 + k,
          real: b.current,
        });
        const want = [B * N, horizon, L.imageSize, L.imageSize, L.imageChannels];
        if (predicted.shape.some((d, i) => d !== want[i]))
          throw new Error(`model sampled [${predicted.shape}], expected [${want}]`);
        if (mode !== 'generate') {
          const m = perSampleMetrics(b.current, predicted, N, ssimConvention);
          mse.push(...m.mse);
          ssim.push(...m.ssim);
        }
        if (mode === 'predict' && b.past) {
          const copy = copyLastFrame(b.past, horizon);
          const m = perSampleMetrics(b.current, copy, 1, ssimConvention);
          copy.dispose();
          baseMse.push(...m.mse);
          baseSsim.push(...m.ssim);
        }
        if (acc) addFvd(acc, b, predicted, N);
        if (k === 0 && o.out) writeExamples(o.out, b, predicted, N, mode, files);
      } finally {
        predicted?.dispose();
        tf.dispose([b.past, b.current, b.future].filter((x): x is tf.Tensor5D => x !== undefined));
      }
      k++;
      o.onBatch?.({ batch: k, batches, clipsDone: b.first + B, clips: test.clips, seconds: (Date.now() - t0) / 1000 });
    }
  } finally {
    test.close();
  }
  const report = mse.length ? bestOfNReport({ mse, ssim }, N) : null;
  const base = baseMse.length ? bestOfNReport({ mse: baseMse, ssim: baseSsim }, 1) : null;
  let fvd: number | null = null;
  if (acc) fvd = acc.compute().distance;
  return {
    dataset: test.dataset,
    testSetSize: test.testSetSize,
    mode,
    past,
    future,
    horizon,
    clips: test.clips,
    trajectories: N,
    psnr: report?.psnr ?? null,
    ssim: report?.ssim ?? null,
    copyLastFrame: base ? { psnr: base.psnr, ssim: base.ssim! } : null,
    fvd,
    fvdLabel: acc ? (o.fvd?.label ?? null) : null,
    ssimConvention,
    seconds: (Date.now() - t0) / 1000,
    files,
  };
}

/** Real videos once per clip, generated ones N per clip; conditioning frames around both, in [0, 1]. */
function addFvd(acc: FvdAccumulator, b: TestBatch, predicted: tf.Tensor5D, N: number): void {
  const video = (mid: tf.Tensor5D, n: number) =>
    tf.tidy(() => {
      const parts = [b.past ? repeatEach(b.past, n) : null, mid, b.future ? repeatEach(b.future, n) : null].filter(
        (x): x is tf.Tensor5D => x !== null,
      );
      return unit(parts.length === 1 ? parts[0] : tf.concat(parts, 1));
    });
  const real = video(b.current, 1);
  const fake = video(predicted, N);
  try {
    acc.addReal(real);
    acc.addFake(fake);
  } finally {
    tf.dispose([real, fake]);
  }
}

function writeExamples(out: string, b: TestBatch, predicted: tf.Tensor5D, N: number, mode: EvalMode, files: string[]): void {
  const show = Math.min(8, b.current.shape[0]);
  const pick = (x: tf.Tensor5D | undefined, n: number) => (x ? (tf.slice(x, 0, n) as tf.Tensor5D) : undefined);
  const ctx = mode === 'generate' ? undefined : pick(b.past, show);
  const real = pick(b.current, show)!;
  const pred = pick(predicted, show * N)!;
  try {
    const input = { context: ctx, real, predicted: pred, trajectories: N };
    writeComparisonGrid(join(out, 'grid.png'), input);
    writeComparisonGif(join(out, 'sample.gif'), input);
    files.push(join(out, 'grid.png'), join(out, 'sample.gif'));
  } finally {
    tf.dispose([ctx, real, pred].filter((x): x is tf.Tensor5D => x !== undefined));
  }
}
