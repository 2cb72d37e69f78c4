import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write';
import { checkMemory, sampleBytes } from '../runtime/memory-budget';
import { addSamplerOptions, intFlag } from './flags';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import { initBackend } from '../runtime/backend';
import { loadCheckpointModel, resolveCheckpointDir, runConfigOfCheckpoint } from '../sample/load';
import { addDataOptions, resolveDataFlags, type DataFlags } from '../eval/data-options';
import { openTestClips } from '../eval/test-clips';
import { SyntheticClipSource } from '../data/synthetic';
import { networkDenoiser } from '../sample/network-denoiser';
import { sampleVideo } from '../sample/predict';
import { samplingProgress } from '../sample/progress';
import { writeComparisonGif, writeComparisonGrid } from '../sample/write';
import { copyLastFrame, scorePrediction } from '../sample/score';

interface SampleFlags extends DataFlags {
  checkpoint: string;
  out: string;
  mode: string;
  horizon?: string;
  trajectories: string;
  clips: string;
  sampler: string;
  steps: string;
  eta: string;
  seed: string;
  dataSeed: string;
  ema: boolean;
  backend?: string;
}

export { resolveCheckpointDir } from '../sample/load';

export async function runSample(f: SampleFlags, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<Record<string, unknown>> {
  const mode = f.mode;
  if (!['predict', 'interpolate', 'generate'].includes(mode)) throw new Error(`--mode must be predict, interpolate or generate, got "${mode}"`);
  if (f.sampler !== 'ddpm' && f.sampler !== 'ddim') throw new Error(`--sampler must be ddpm or ddim, got "${f.sampler}"`);
  const eta = Number(f.eta);
  if (!(eta >= 0)) throw new Error(`--eta must be a number >= 0, got "${f.eta}"`);
  const N = intFlag('trajectories', f.trajectories, 1);
  const clips = intFlag('clips', f.clips, 1);
  const steps = intFlag('steps', f.steps, 1);
  const seed = intFlag('seed', f.seed, 0);
  const dir = resolveCheckpointDir(f.checkpoint);
  const recorded = runConfigOfCheckpoint(dir);
  const data = resolveDataFlags(f, recorded?.config.data ?? null);
  await initBackend({ backend: f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend'), log });
  const loaded = loadCheckpointModel(dir, { ema: f.ema });
  const { net, store, schedule, meta } = loaded;
  const cfg = net.config;
  const horizon = f.horizon === undefined ? cfg.currentFrames : intFlag('horizon', f.horizon, 1);
  try {
    checkMemory(sampleBytes(cfg, clips * N, horizon), `--clips ${clips} x --trajectories ${N} at --horizon ${horizon}`);
  } catch (e) {
    loaded.dispose();
    throw e;
  }
  const layout = {
    past: mode === 'generate' ? 0 : cfg.pastFrames,
    current: mode === 'predict' || mode === 'generate' ? horizon : cfg.currentFrames,
    future: mode === 'interpolate' ? cfg.futureFrames : 0,
  };
  let clip: { past?: tf.Tensor5D; current: tf.Tensor5D; future?: tf.Tensor5D };
  if (!data || data.source === 'synthetic') {
    // held-out synthetic clips (a different stream from any training seed)
    const source = new SyntheticClipSource({
      batchSize: clips,
      imageSize: cfg.imageSize,
      channels: cfg.imageChannels,
      past: cfg.pastFrames,
      current: mode === 'predict' ? horizon : cfg.currentFrames,
      future: mode === 'interpolate' ? cfg.futureFrames : 0,
      seed: intFlag('data-seed', f.dataSeed, 0),
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
  const past = clip.past as tf.Tensor5D | undefined;
  const real = clip.current as tf.Tensor5D;
  const t0 = Date.now();
  const progress = samplingProgress(`sampling ${mode}`, log);
  const predicted = sampleVideo({
    mode: mode as 'predict',
    denoiser: networkDenoiser(net, store.read),
    schedule,
    layout: cfg,
    past: mode === 'generate' ? undefined : past,
    future: clip.future as tf.Tensor5D | undefined,
    horizon: mode === 'interpolate' ? undefined : horizon,
    trajectories: N,
    batch: clips,
    seed,
    sampler: { sampler: f.sampler, steps, eta },
    onStep: progress.onStep,
  });
  progress.stop();
  mkdirSync(f.out, { recursive: true });
  const showReal = mode !== 'generate';
  writeComparisonGrid(join(f.out, 'grid.png'), { context: mode === 'generate' ? undefined : past, real: showReal ? real : undefined, predicted, trajectories: N });
  writeComparisonGif(join(f.out, 'sample.gif'), { context: mode === 'generate' ? undefined : past, real: showReal ? real : undefined, predicted, trajectories: N });
  const result: Record<string, unknown> = { checkpoint: dir, step: meta.step, dataset: data?.source ?? 'synthetic', mode, horizon: predicted.shape[1], trajectories: N, clips, sampler: f.sampler, steps, seconds: (Date.now() - t0) / 1000 };
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
  writeFileAtomic(join(f.out, 'sample.json'), JSON.stringify(result, null, 2) + '\n', 'results');
  tf.dispose([predicted, real, ...(past ? [past] : []), ...(clip.future ? [clip.future] : [])]);
  loaded.dispose();
  return result;
}

export function registerSample(program: Command): void {
  const cmd = program
    .command('sample')
    .description('sample videos from a checkpoint (prediction roll-out, interpolation, generation); writes grid.png, sample.gif, sample.json')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory, checkpoints root, or run directory of evdm train');
  addSamplerOptions(addDataOptions(cmd))
    .option('--out <dir>', 'output directory', 'out/sample')
    .option('--mode <mode>', 'predict | interpolate | generate', 'predict')
    .option('--horizon <n>', 'frames to predict (autoregressive roll-out beyond one block); default currentFrames')
    .option('--trajectories <n>', 'samples per input clip (best-of-N scores)', '1')
    .option('--clips <n>', "input clips (the first of the test split of the checkpoint's data, or held-out synthetic clips)", '4')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--data-seed <n>', 'seed of the synthetic input clips', '987654')
    .option('--no-ema', 'use the live weights instead of the EMA weights')
    .option('--backend <name>', 'tfjs backend (default: EVDM_BACKEND or auto)')
    .action(async (f: SampleFlags) => {
      const r = await runSample(f);
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    });
}
