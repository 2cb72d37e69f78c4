import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import { flagNames, stderrLine } from '../runtime/option-names';
import { train } from '../train/train';
import type { TrainConfig } from '../train/train-config';
import { intFlag, positiveNumberFlag } from './flags';

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

/** The `evdm train` flags as {@link train} options (errors name the flags). */
export const TRAIN_FLAG_NAMES = flagNames({ batchSize: '--batch', configFile: '--config' });

/**
 * `evdm train`: parses the flags and calls {@link train}; returns the run directory. A stop by
 * signal sets process.exitCode (130 / 143).
 */
export async function runTrain(f: TrainFlags, log: (line: string) => void = stderrLine): Promise<string> {
  if (!f.config && !f.resume) throw new Error('train needs --config FILE.json (new run) or --resume RUN_DIR');
  if (f.config && f.resume) throw new Error('give either --config (new run) or --resume RUN_DIR, not both');
  if (f.resume && f.force) throw new Error('--force only applies to a new run (--config), not to --resume');
  const backend = f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend');
  const r = await train({
    configFile: f.config,
    resume: f.resume,
    out: f.resume ? undefined : (f.out ?? 'out/train'),
    overrides: trainOverrides(f),
    maxMinutes: positiveNumberFlag('max-minutes', f.maxMinutes),
    force: f.force,
    backend,
    log,
    optionNames: TRAIN_FLAG_NAMES,
  });
  if (r.stoppedBy) process.exitCode = r.exitCode;
  return r.outDir;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a denoiser with the masked conditioning loss (checkpoints, JSONL log, loss plot, preview grids)')
    .option('--config <file>', 'run config JSON: {"network": {...}, "data": {...}, "train": {...}} (see README)')
    .option(
      '--resume <dir>',
      'continue the run in this directory from its latest checkpoint (bit-identical to an uninterrupted run)',
    )
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
    .option(
      '--rematerialize',
      'gradient checkpointing: recompute block activations in the backward pass (less memory, ~1/3 more compute; sets train.rematerialize)',
    )
    .option('--force', 'start a new run in a non-empty directory that holds no run (nothing there is deleted or overwritten)')
    .option('--backend <name>', 'tfjs backend (default: EVDM_BACKEND or auto)')
    .action(async (f: TrainFlags) => {
      await runTrain(f);
    });
}
