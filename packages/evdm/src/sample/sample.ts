import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '@evdm/backend';
import { writeFileAtomic } from '../io/atomic-write';
import { checkMemory, sampleBytes } from '../runtime/memory-budget';
import { initBackend } from '../runtime/backend';
import { ownOptionNames, stderrLine, type OptionNames } from '../runtime/option-names';
import { openTestClips } from '../eval/test-clips';
import { SyntheticClipSource } from '../data/synthetic';
import type { DataConfig } from '../train/run-config';
import { loadCheckpointModel, resolveCheckpointDir, runConfigOfCheckpoint } from './load';
import { networkDenoiser } from './network-denoiser';
import { sampleVideo, type SamplerConfig } from './predict';
import { samplingProgress } from './progress';
import { writeComparisonGif, writeComparisonGrid } from './write';
import { copyLastFrame, scorePrediction } from './score';
import { checkPipelineInt, checkSamplingOptions, type SampleMode } from './pipeline-checks';

export interface SampleOptions {
  /** A checkpoint directory, a checkpoints root or a run directory of `train`. */
  checkpoint: string;
  /** Output directory: grid.png, sample.gif, sample.json (default out/sample). */
  out?: string;
  /** Default 'predict'. */
  mode?: SampleMode;
  /** Frames to predict or generate (autoregressive roll-out beyond one block); default currentFrames. */
  horizon?: number;
  /** Samples per input clip (best-of-N scores); default 1. */
  trajectories?: number;
  /** Input clips; default 4. */
  clips?: number;
  /** Default DDPM, 100 steps, eta 0. */
  sampler?: Partial<SamplerConfig>;
  /** Sampling seed; default 0. */
  seed?: number;
  /** Seed of held-out synthetic input clips; default 987654. */
  dataSeed?: number;
  /** EMA weights (default) or the live ones. */
  ema?: boolean;
  /**
   * Input clips: the first of this data's test split (synthetic: held-out clips). Default: the
   * data of the checkpoint's run config, else synthetic clips.
   */
  data?: DataConfig | null;
  backend?: BackendChoice;
  /** Messages and sampling progress (default: stderr). */
  log?: (line: string) => void;
  optionNames?: OptionNames;
}

/** What `evdm sample` prints and writes to sample.json. */
export interface SampleResult {
  checkpoint: string;
  step: number;
  dataset: string;
  mode: SampleMode;
  horizon: number;
  trajectories: number;
  clips: number;
  sampler: 'ddpm' | 'ddim';
  steps: number;
  seconds: number;
  /** Mean best-of-N scores against the real frames (not for generate). */
  model?: { psnr: number; ssim: number | undefined };
  /** The copy-last-frame baseline (predict only). */
  copyLastFrame?: { psnr: number; ssim: number | undefined };
}

/**
 * Samples videos from a checkpoint (prediction roll-out, interpolation, generation) and writes
 * grid.png, sample.gif and sample.json; the `evdm sample` command parses its flags into these options.
 */
export async function sample(o: SampleOptions): Promise<SampleResult> {
  const name = o.optionNames ?? ownOptionNames;
  const log = o.log ?? stderrLine;
  const { mode, sampler, trajectories: N } = checkSamplingOptions(o, name);
  const clips = checkPipelineInt(name('clips'), o.clips ?? 4, 1);
  const seed = checkPipelineInt(name('seed'), o.seed ?? 0, 0);
  const dataSeed = checkPipelineInt(name('dataSeed'), o.dataSeed ?? 987654, 0);
  const out = o.out ?? 'out/sample';
  const dir = resolveCheckpointDir(o.checkpoint, name('checkpoint'));
  const data = o.data !== undefined ? o.data : (runConfigOfCheckpoint(dir)?.config.data ?? null);
  await initBackend({ backend: o.backend, log });
  const loaded = loadCheckpointModel(dir, { ema: o.ema ?? true });
  const { net, store, schedule, meta } = loaded;
  const cfg = net.config;
  let clip: { past?: tf.Tensor5D; current: tf.Tensor5D; future?: tf.Tensor5D };
  let horizon: number;
  try {
    horizon = o.horizon === undefined ? cfg.currentFrames : checkPipelineInt(name('horizon'), o.horizon, 1);
    checkMemory(
      sampleBytes(cfg, clips * N, horizon),
      `${name('clips')} ${clips} x ${name('trajectories')} ${N} at ${name('horizon')} ${horizon}`,
    );
    const layout = {
      past: mode === 'generate' ? 0 : cfg.pastFrames,
      current: mode === 'predict' || mode === 'generate' ? horizon : cfg.currentFrames,
      future: mode === 'interpolate' ? cfg.futureFrames : 0,
    };
    if (!data || data.source === 'synthetic') {
      // held-out synthetic clips (a different stream from any training seed)
      const source = new SyntheticClipSource({
        batchSize: clips,
        imageSize: cfg.imageSize,
        channels: cfg.imageChannels,
        past: cfg.pastFrames,
        current: mode === 'predict' ? horizon : cfg.currentFrames,
        future: mode === 'interpolate' ? cfg.futureFrames : 0,
        seed: dataSeed,
        ...(data?.source === 'synthetic' && data.squareSize !== undefined ? { squareSize: data.squareSize } : {}),
      });
      clip = (await source.next()) as typeof clip;
    } else {
      // the first clips of the dataset's test split
      const test = await openTestClips(data, { ...layout, imageSize: cfg.imageSize, imageChannels: cfg.imageChannels }, clips);
      try {
        const first = await test.batches(clips).next();
        if (first.done) throw new Error(`${data.source} test split gave no clips`);
        clip = first.value;
      } finally {
        test.close();
      }
      log(`evdm sample: ${clips} clips from the ${data.source} test split`);
    }
  } catch (e) {
    loaded.dispose();
    throw e;
  }
  const past = clip.past;
  const real = clip.current;
  try {
    const t0 = Date.now();
    const progress = samplingProgress(`sampling ${mode}`, log);
    const predicted = sampleVideo({
      mode,
      denoiser: networkDenoiser(net, store.read),
      schedule,
      layout: cfg,
      past: mode === 'generate' ? undefined : past,
      future: clip.future,
      horizon: mode === 'interpolate' ? undefined : horizon,
      trajectories: N,
      batch: clips,
      seed,
      sampler,
      onStep: progress.onStep,
    });
    progress.stop();
    try {
      mkdirSync(out, { recursive: true });
      const showReal = mode !== 'generate';
      const shown = {
        context: mode === 'generate' ? undefined : past,
        real: showReal ? real : undefined,
        predicted,
        trajectories: N,
      };
      writeComparisonGrid(join(out, 'grid.png'), shown);
      writeComparisonGif(join(out, 'sample.gif'), shown);
      const result: SampleResult = {
        checkpoint: dir,
        step: meta.step,
        dataset: data?.source ?? 'synthetic',
        mode,
        horizon: predicted.shape[1],
        trajectories: N,
        clips,
        sampler: sampler.sampler,
        steps: sampler.steps,
        seconds: (Date.now() - t0) / 1000,
      };
      if (showReal) {
        const model = scorePrediction(real, predicted, N);
        result.model = { psnr: model.psnr.mean, ssim: model.ssim?.mean };
        if (mode === 'predict' && past) {
          const copy = copyLastFrame(past, predicted.shape[1]);
          const base = scorePrediction(real, copy, 1);
          copy.dispose();
          result.copyLastFrame = { psnr: base.psnr.mean, ssim: base.ssim?.mean };
        }
      }
      writeFileAtomic(join(out, 'sample.json'), JSON.stringify(result, null, 2) + '\n', 'results');
      return result;
    } finally {
      predicted.dispose();
    }
  } finally {
    tf.dispose([real, ...(past ? [past] : []), ...(clip.future ? [clip.future] : [])]);
    loaded.dispose();
  }
}
