import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import { flagNames, stderrLine } from '../runtime/option-names';
import { resolveCheckpointDir, runConfigOfCheckpoint } from '../sample/load';
import { addDataOptions, resolveDataFlags, type DataFlags } from '../eval/data-options';
import { sample, type SampleResult } from '../sample/sample';
import { SAMPLE_MODES, type SampleMode } from '../sample/pipeline-checks';
import { addSamplerOptions, intFlag } from './flags';

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

/** `evdm sample`: parses the flags and calls {@link sample}; returns what it prints. */
export async function runSample(f: SampleFlags, log: (line: string) => void = stderrLine): Promise<SampleResult> {
  const mode = f.mode;
  if (!(SAMPLE_MODES as readonly string[]).includes(mode))
    throw new Error(`--mode must be predict, interpolate or generate, got "${mode}"`);
  if (f.sampler !== 'ddpm' && f.sampler !== 'ddim') throw new Error(`--sampler must be ddpm or ddim, got "${f.sampler}"`);
  const eta = Number(f.eta);
  if (!(eta >= 0)) throw new Error(`--eta must be a number >= 0, got "${f.eta}"`);
  const trajectories = intFlag('trajectories', f.trajectories, 1);
  const clips = intFlag('clips', f.clips, 1);
  const steps = intFlag('steps', f.steps, 1);
  const seed = intFlag('seed', f.seed, 0);
  const dir = resolveCheckpointDir(f.checkpoint);
  const data = resolveDataFlags(f, runConfigOfCheckpoint(dir)?.config.data ?? null);
  return sample({
    checkpoint: dir,
    out: f.out,
    mode: mode as SampleMode,
    horizon: intFlag('horizon', f.horizon, 1),
    trajectories,
    clips,
    sampler: { sampler: f.sampler, steps, eta },
    seed,
    dataSeed: intFlag('data-seed', f.dataSeed, 0),
    ema: f.ema,
    data,
    backend: f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend'),
    log,
    optionNames: flagNames(),
  });
}

export function registerSample(program: Command): void {
  const cmd = program
    .command('sample')
    .description(
      'sample videos from a checkpoint (prediction roll-out, interpolation, generation); writes grid.png, sample.gif, sample.json',
    )
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
