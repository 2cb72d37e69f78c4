import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '@evdm/backend';
import { initBackend } from '../runtime/backend';
import { ownOptionNames, stderrLine, type OptionNames } from '../runtime/option-names';
import { checkMemory, trainStepBytes } from '../runtime/memory-budget';
import { formatMinutes } from '../io/format';
import { writeFileAtomic } from '../io/atomic-write';
import { writePreviewGrid } from '../sample/preview';
import { StepsBelowCheckpointError, Trainer, type StepResult } from './trainer';
import { TrainMonitor } from './monitor';
import { cleanCheckpointLeftovers } from './checkpoint';
import { makeClipSource, readJsonConfigFile, readRunConfig, resolveRunConfig, type RunConfig } from './run-config';
import { checkNewRunDir } from './run-dir';
import { SIGNAL_EXIT_CODE, onStopSignals, type StopSignal } from './signals';
import type { TrainConfig } from './train-config';

export interface TrainOptions {
  /** A new run: the run config (`{ network, data, train, schedule?, preview? }`, as in a run file). */
  config?: unknown;
  /** A new run from a run config JSON file (instead of `config`). */
  configFile?: string;
  /** Continue the run in this directory from its latest verified checkpoint (bit-identical to an uninterrupted run). */
  resume?: string;
  /** Run directory of a new run (config.json, checkpoints/, train.jsonl, loss.svg, samples/). */
  out?: string;
  /** Replace fields of the train section (a resume may change all but `seed` and `batchSize`). */
  overrides?: Partial<TrainConfig>;
  /** Wall-time budget: stop with a checkpoint after this many minutes (resume later). */
  maxMinutes?: number;
  /** Start a new run in a non-empty directory that holds no run (nothing there is deleted or overwritten). */
  force?: boolean;
  backend?: BackendChoice;
  /** The run's messages (default: stderr). */
  log?: (line: string) => void;
  /** Progress lines of the monitor when stderr is not a terminal (default: stderr; a bar on a terminal). */
  progress?: (line: string) => void;
  /** After every update. */
  onStep?: (r: StepResult) => void;
  /** Extra stop condition, checked after every update (the run ends with a checkpoint). */
  shouldStop?: () => boolean;
  /**
   * SIGINT / SIGTERM finish the current step, write a checkpoint and end the run (`stoppedBy`); a
   * second signal exits at once. Default true; false leaves the process's handlers alone.
   */
  handleSignals?: boolean;
  /** How error messages name the options (the CLI passes its flags). */
  optionNames?: OptionNames;
}

export interface TrainResult {
  /** The run directory. */
  outDir: string;
  /** Completed optimiser updates. */
  step: number;
  /** The last checkpoint written (null when none was). */
  checkpoint: string | null;
  /** The signal that ended the run early, or null (steps done or time budget used). */
  stoppedBy: StopSignal | null;
  /** The shell's exit code for `stoppedBy` (130 / 143), or 0. */
  exitCode: number;
  /** The run config as written to `<outDir>/config.json`. */
  config: RunConfig;
  params: number;
}

/**
 * Runs (or resumes) a training run: validated config, a new or resumed run directory (nothing
 * there is overwritten), checkpoints written atomically and verified on resume, `train.jsonl`,
 * `loss.svg`, preview grids, a graceful stop on SIGINT / SIGTERM. The `evdm train` command parses
 * its flags into these options.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const name = o.optionNames ?? ownOptionNames;
  const log = o.log ?? stderrLine;
  if ((o.config === undefined && o.configFile === undefined) === (o.resume === undefined)) {
    throw new Error(
      `train needs either ${name('config')} (a new run) or ${name('resume')} (a run directory), not ${o.resume === undefined ? 'neither' : 'both'}`,
    );
  }
  if (o.config !== undefined && o.configFile !== undefined)
    throw new Error(`give either ${name('config')} or ${name('configFile')}, not both`);
  if (o.resume !== undefined && o.force)
    throw new Error(`${name('force')} only applies to a new run (${name('config')}), not to ${name('resume')}`);
  if (o.maxMinutes !== undefined && !(o.maxMinutes > 0))
    throw new Error(`${name('maxMinutes')} must be a positive number, got ${o.maxMinutes}`);
  const overrides = o.overrides ?? {};
  const maxMinutes = o.maxMinutes ?? Infinity;
  let outDir: string;
  let run: RunConfig;
  if (o.resume !== undefined) {
    outDir = o.resume;
    const cfgPath = join(outDir, 'config.json');
    if (!existsSync(cfgPath))
      throw new Error(`${name('resume')} ${outDir}: no config.json there (is it a run directory written by evdm train?)`);
    run = resolveRunConfig(readJsonConfigFile(cfgPath), cfgPath);
    if (overrides.seed !== undefined && overrides.seed !== run.train.seed)
      throw new Error(`${name('seed')} cannot change on ${name('resume')}`);
    if (overrides.batchSize !== undefined && overrides.batchSize !== run.train.batchSize)
      throw new Error(`${name('batchSize')} cannot change on ${name('resume')}`);
    run = resolveRunConfig({ ...run, train: { ...run.train, ...overrides } }, `${name('resume')} ${outDir}`);
  } else {
    if (o.out === undefined) throw new Error(`a new run needs ${name('out')} (its run directory)`);
    const base = o.configFile !== undefined ? readRunConfig(o.configFile) : resolveRunConfig(o.config, 'run config');
    const where = o.configFile !== undefined ? `config file ${o.configFile}` : 'run config';
    run = resolveRunConfig({ ...base, train: { ...base.train, ...overrides } }, where);
    outDir = o.out;
    checkNewRunDir(outDir, { force: o.force === true });
  }
  const ckptRoot = join(outDir, 'checkpoints');
  for (const left of cleanCheckpointLeftovers(ckptRoot))
    log(`evdm train: removed ${join(ckptRoot, left)}, left by a crashed or killed run`);

  await initBackend({ backend: o.backend, log });
  checkMemory(
    trainStepBytes(run.network, run.train.batchSize),
    `${overrides.batchSize !== undefined ? name('batchSize') : 'train.batchSize'} ${run.train.batchSize}`,
  );
  const data = makeClipSource(run.data, run.network, run.train.batchSize);
  const trainer =
    o.resume !== undefined
      ? await Trainer.resume(ckptRoot, {
          data,
          train: run.train,
          checkpointDir: ckptRoot,
          network: run.network,
          schedule: run.schedule,
          warn: (m) => log(`evdm train: warning: ${m}`),
        }).catch((e: unknown) => {
          if (e instanceof StepsBelowCheckpointError) {
            const what =
              overrides.steps !== undefined
                ? `${name('steps')} ${e.steps}`
                : `train.steps ${e.steps} (${join(outDir, 'config.json')})`;
            throw new Error(
              `${what} is below step ${e.checkpointStep} of the run in ${name('resume')} ${outDir} (${e.dir}): give the total number of steps, at least ${e.checkpointStep}`,
            );
          }
          throw e;
        })
      : new Trainer({ network: run.network, train: run.train, schedule: run.schedule, data, checkpointDir: ckptRoot });
  try {
    // the run config is ours to write only now: every check passed (resume replaces it atomically)
    writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(run, null, 2) + '\n', 'run config');
    const params = trainer.store.count();
    const span = Number.isFinite(maxMinutes)
      ? `runs for ${formatMinutes(maxMinutes)} from step ${trainer.step} (at most ${run.train.steps} steps)`
      : `steps ${trainer.step} -> ${run.train.steps}`;
    log(
      `evdm train: ${run.network.arch} C0=${run.network.baseChannels} ${run.network.imageSize}px, ${(params / 1e6).toFixed(3)}M params, batch ${run.train.batchSize}, ${span}, out ${outDir}`,
    );
    // previews use their own fixed clips so the training stream (and resume) is untouched
    const previewSource = makeClipSource(run.data, run.network, Math.min(4, run.train.batchSize), 1_000_003);
    const previewClip = await previewSource.next();
    const deadline = Date.now() + maxMinutes * 60_000;
    const monitor = new TrainMonitor({
      outDir,
      totalSteps: run.train.steps,
      startStep: trainer.step,
      logEvery: run.train.logEvery,
      deadline,
      ...(o.progress ? { write: o.progress } : {}),
    });
    const stop =
      o.handleSignals === false
        ? { signal: null, dispose: () => {} }
        : onStopSignals(
            (sig) =>
              monitor.message(
                `evdm train: ${sig}: finishing step ${trainer.step + 1}, then writing a checkpoint and stopping (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to abort at once)`,
              ),
            {
              onSecond: (sig) =>
                process.stderr.write(
                  `\nevdm train: ${sig} again: aborting now; the last complete checkpoint is ${trainer.lastCheckpoint ?? '(none)'}\n`,
                ),
            },
          );
    try {
      await trainer.run({
        shouldStop: () => stop.signal !== null || Date.now() >= deadline || (o.shouldStop?.() ?? false),
        onStep: (r) => {
          monitor.onStep(r);
          o.onStep?.(r);
        },
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
    const stoppedBy = stop.signal;
    if (stoppedBy)
      log(
        `evdm train: stopped by ${stoppedBy} at step ${trainer.step}; checkpoint ${trainer.lastCheckpoint}; continue with: evdm train --resume ${outDir}`,
      );
    else
      log(
        `evdm train: done at step ${trainer.step}; checkpoint ${trainer.lastCheckpoint}; log ${join(outDir, 'train.jsonl')}; plot ${join(outDir, 'loss.svg')}`,
      );
    return {
      outDir,
      step: trainer.step,
      checkpoint: trainer.lastCheckpoint,
      stoppedBy,
      exitCode: stoppedBy ? SIGNAL_EXIT_CODE[stoppedBy] : 0,
      config: run,
      params,
    };
  } finally {
    trainer.dispose();
  }
}
