import { existsSync } from 'node:fs';
import { intFlag, positiveNumberFlag } from './flags';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import { initBackend } from '../runtime/backend';
import { StepsBelowCheckpointError, Trainer } from '../train/trainer';
import { TrainMonitor } from '../train/monitor';
import { formatMinutes } from '../io/format';
import { cleanCheckpointLeftovers } from '../train/checkpoint';
import { makeClipSource, readJsonConfigFile, readRunConfig, resolveRunConfig, type RunConfig } from '../train/run-config';
import { checkNewRunDir } from '../train/run-dir';
import { SIGNAL_EXIT_CODE, onStopSignals } from '../train/signals';
import { checkMemory, trainStepBytes } from '../runtime/memory-budget';
import { writeFileAtomic } from '../io/atomic-write';
import { writePreviewGrid } from '../sample/preview';
import type { TrainConfig } from '../train/train-config';

interface TrainFlags {
  config?: string;
  resume?: string;
  out?: string;
  steps?: string;
  batch?: string;
  seed?: string;
  lr?: string;
  warmup?: string;
  checkpointEvery?: string;
  sampleEvery?: string;
  logEvery?: string;
  backend?: string;
  maxMinutes?: string;
  rematerialize?: boolean;
  force?: boolean;
}

/** Flag overrides of the train section (only the flags given). */
function trainOverrides(f: TrainFlags): Partial<TrainConfig> {
  const o: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('steps', intFlag('steps', f.steps, 0));
  set('batchSize', intFlag('batch', f.batch, 1));
  set('seed', intFlag('seed', f.seed, 0));
  set('lr', positiveNumberFlag('lr', f.lr));
  set('warmup', intFlag('warmup', f.warmup, 0));
  set('checkpointEvery', intFlag('checkpoint-every', f.checkpointEvery, 0));
  set('sampleEvery', intFlag('sample-every', f.sampleEvery, 0));
  set('logEvery', intFlag('log-every', f.logEvery, 1));
  set('rematerialize', f.rematerialize);
  return o;
}

/** Runs (or resumes) a training run; returns the run directory. A stop by signal sets process.exitCode (130 / 143). */
export async function runTrain(f: TrainFlags, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<string> {
  if (!f.config && !f.resume) throw new Error('train needs --config FILE.json (new run) or --resume RUN_DIR');
  if (f.config && f.resume) throw new Error('give either --config (new run) or --resume RUN_DIR, not both');
  if (f.resume && f.force) throw new Error('--force only applies to a new run (--config), not to --resume');
  const backend = f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend');
  const overrides = trainOverrides(f);
  const maxMinutes = positiveNumberFlag('max-minutes', f.maxMinutes) ?? Infinity;
  let outDir: string;
  let run: RunConfig;
  if (f.resume) {
    outDir = f.resume;
    const cfgPath = join(outDir, 'config.json');
    if (!existsSync(cfgPath)) throw new Error(`--resume ${outDir}: no config.json there (is it a run directory written by evdm train?)`);
    run = resolveRunConfig(readJsonConfigFile(cfgPath), cfgPath);
    if (overrides.seed !== undefined && overrides.seed !== run.train.seed) throw new Error('--seed cannot change on --resume');
    if (overrides.batchSize !== undefined && overrides.batchSize !== run.train.batchSize) throw new Error('--batch cannot change on --resume');
    run = { ...run, train: { ...run.train, ...overrides } };
  } else {
    const base = readRunConfig(f.config!);
    run = resolveRunConfig({ ...base, train: { ...base.train, ...overrides } }, `config file ${f.config}`);
    outDir = f.out ?? 'out/train';
    checkNewRunDir(outDir, { force: f.force === true });
  }
  const ckptRoot = join(outDir, 'checkpoints');
  for (const name of cleanCheckpointLeftovers(ckptRoot)) log(`evdm train: removed ${join(ckptRoot, name)}, left by a crashed or killed run`);

  await initBackend({ backend, log });
  checkMemory(trainStepBytes(run.network, run.train.batchSize), `${f.batch !== undefined ? '--batch' : 'train.batchSize'} ${run.train.batchSize}`);
  const data = makeClipSource(run.data, run.network, run.train.batchSize);
  const trainer = f.resume
    ? await Trainer.resume(ckptRoot, { data, train: run.train, checkpointDir: ckptRoot, network: run.network, schedule: run.schedule, warn: (m) => log(`evdm train: warning: ${m}`) }).catch((e: unknown) => {
        if (e instanceof StepsBelowCheckpointError) {
          const what = f.steps !== undefined ? `--steps ${e.steps}` : `train.steps ${e.steps} (${join(outDir, 'config.json')})`;
          throw new Error(`${what} is below step ${e.checkpointStep} of the run in --resume ${outDir} (${e.dir}): give the total number of steps, at least ${e.checkpointStep}`);
        }
        throw e;
      })
    : new Trainer({ network: run.network, train: run.train, schedule: run.schedule, data, checkpointDir: ckptRoot });
  // the run config is ours to write only now: every check passed (resume replaces it atomically)
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(run, null, 2) + '\n', 'run config');
  const params = trainer.store.count();
  log(`evdm train: ${run.network.arch} C0=${run.network.baseChannels} ${run.network.imageSize}px, ${(params / 1e6).toFixed(3)}M params, batch ${run.train.batchSize}, ${Number.isFinite(maxMinutes) ? `runs for ${formatMinutes(maxMinutes)} from step ${trainer.step} (at most ${run.train.steps} steps)` : `steps ${trainer.step} -> ${run.train.steps}`}, out ${outDir}`);
  // previews use their own fixed clips so the training stream (and resume) is untouched
  const previewSource = makeClipSource(run.data, run.network, Math.min(4, run.train.batchSize), 1_000_003);
  const previewClip = await previewSource.next();
  const deadline = Date.now() + maxMinutes * 60_000;
  const monitor = new TrainMonitor({ outDir, totalSteps: run.train.steps, startStep: trainer.step, logEvery: run.train.logEvery, deadline });
  const stop = onStopSignals(
    (sig) => monitor.message(`evdm train: ${sig}: finishing step ${trainer.step + 1}, then writing a checkpoint and stopping (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to abort at once)`),
    { onSecond: (sig) => process.stderr.write(`\nevdm train: ${sig} again: aborting now; the last complete checkpoint is ${trainer.lastCheckpoint ?? '(none)'}\n`) },
  );
  try {
    await trainer.run({
      shouldStop: () => stop.signal !== null || Date.now() >= deadline,
      onStep: (r) => monitor.onStep(r),
      onSample: (step, t) =>
        t.withEmaWeights(() => {
          const path = join(outDir, 'samples', `step-${step}.png`);
          writePreviewGrid(path, t.net, t.store.read, t.schedule, previewClip, { sampler: run.preview, seed: step });
        }),
    });
  } finally {
    stop.dispose();
    monitor.finish();
    tf.dispose([previewClip.past, previewClip.current, previewClip.future].filter((x) => x !== undefined) as tf.Tensor[]);
  }
  if (stop.signal) {
    log(`evdm train: stopped by ${stop.signal} at step ${trainer.step}; checkpoint ${trainer.lastCheckpoint}; continue with: evdm train --resume ${outDir}`);
    process.exitCode = SIGNAL_EXIT_CODE[stop.signal];
  } else log(`evdm train: done at step ${trainer.step}; checkpoint ${trainer.lastCheckpoint}; log ${join(outDir, 'train.jsonl')}; plot ${join(outDir, 'loss.svg')}`);
  trainer.dispose();
  return outDir;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a denoiser with the masked conditioning loss (checkpoints, JSONL log, loss plot, preview grids)')
    .option('--config <file>', 'run config JSON: {"network": {...}, "data": {...}, "train": {...}} (see README)')
    .option('--resume <dir>', 'continue the run in this directory from its latest checkpoint (bit-identical to an uninterrupted run)')
    .option('--out <dir>', 'run directory for a new run (default out/train)')
    .option('--steps <n>', 'total optimiser steps (overrides train.steps)')
    .option('--batch <n>', 'batch size (overrides train.batchSize)')
    .option('--seed <n>', 'seed (overrides train.seed)')
    .option('--lr <x>', 'learning rate (overrides train.lr)')
    .option('--warmup <n>', 'warm-up steps (overrides train.warmup)')
    .option('--checkpoint-every <n>', 'checkpoint interval in steps (0 = only at the end)')
    .option('--sample-every <n>', 'preview grid interval in steps (0 = never)')
    .option('--log-every <n>', 'log interval in steps')
    .option('--max-minutes <x>', 'wall-time budget: stop with a checkpoint after this many minutes (resume later)')
    .option('--rematerialize', 'gradient checkpointing: recompute block activations in the backward pass (less memory, ~1/3 more compute; sets train.rematerialize)')
    .option('--force', 'start a new run in a non-empty directory that holds no run (nothing there is deleted or overwritten)')
    .option('--backend <name>', 'tfjs backend (default: EVDM_BACKEND or auto)')
    .action(async (f: TrainFlags) => {
      await runTrain(f);
    });
}
