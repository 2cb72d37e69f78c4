import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import type { Summary } from '@evdm/metrics';
import { flagNames, stderrLine } from '../runtime/option-names';
import { resolveCheckpointDir, runConfigOfCheckpoint } from '../sample/load';
import { SAMPLE_MODES } from '../sample/pipeline-checks';
import type { EvalMode, EvaluationResult } from '../eval/evaluate';
import { evaluateCheckpoint, FVD_SKIPPED_NOTE, type EvalReport } from '../eval/evaluate-checkpoint';
import { addDataOptions, resolveDataFlags, type DataFlags } from '../eval/data-options';
import { addSamplerOptions, intFlag } from './flags';

export interface EvalFlags extends DataFlags {
  checkpoint: string;
  mode?: string;
  horizon?: string;
  clips?: string;
  trajectories?: string;
  sampler?: string;
  steps?: string;
  eta?: string;
  ema?: boolean;
  batch?: string;
  seed?: string;
  i3d?: string;
  out?: string;
  json?: boolean;
  backend?: string;
}

const fmt = (s: Summary | null | undefined, d: number) =>
  !s
    ? '-'
    : `${Number.isFinite(s.mean) ? s.mean.toFixed(d) : String(s.mean)}${Number.isFinite(s.ci95) ? ` ± ${s.ci95.toFixed(d)}` : ''}`;

/** The paper-style table rows (Method, FVD, PSNR, SSIM) of an evaluation. */
export function formatEvalRows(
  rows: Array<{ method: string; fvd: number | null | string; psnr: Summary | null; ssim: Summary | null }>,
): string {
  const body = rows.map((r) => [
    r.method,
    typeof r.fvd === 'number' ? r.fvd.toFixed(2) : (r.fvd ?? '-'),
    fmt(r.psnr, 2),
    fmt(r.ssim, 4),
  ]);
  const header = ['Method', 'FVD', 'PSNR', 'SSIM'];
  const w = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('   ');
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

export interface EvalRun {
  json: EvalReport;
  result: EvaluationResult;
  label: string;
}

/** `evdm eval`: parses the flags and calls {@link evaluateCheckpoint}; returns the JSON object it prints with --json. */
export async function runEval(f: EvalFlags, log: (line: string) => void = stderrLine): Promise<EvalRun> {
  const mode = f.mode ?? 'predict';
  if (!(SAMPLE_MODES as readonly string[]).includes(mode))
    throw new Error(`--mode must be predict, interpolate or generate, got "${f.mode}"`);
  const sampler = f.sampler ?? 'ddpm';
  if (sampler !== 'ddpm' && sampler !== 'ddim') throw new Error(`--sampler must be ddpm or ddim, got "${f.sampler}"`);
  const eta = f.eta === undefined ? 0 : Number(f.eta);
  if (!(eta >= 0)) throw new Error(`--eta must be a number >= 0, got "${f.eta}"`);
  const trajectories = intFlag('trajectories', f.trajectories, 1, 1);
  const steps = intFlag('steps', f.steps, 1, 100);
  const batch = intFlag('batch', f.batch, 1);
  const seed = intFlag('seed', f.seed, 0, 0);
  const clips = intFlag('clips', f.clips, 1);
  const horizon = intFlag('horizon', f.horizon, 1);
  const dir = resolveCheckpointDir(f.checkpoint);
  const data = resolveDataFlags(f, runConfigOfCheckpoint(dir)?.config.data ?? null) ?? undefined;
  const { report, result, label } = await evaluateCheckpoint({
    checkpoint: dir,
    data,
    mode: mode as EvalMode,
    horizon,
    clips,
    trajectories,
    sampler: { sampler, steps, eta },
    ema: f.ema,
    batch,
    seed,
    fvd: f.i3d,
    out: f.out,
    backend: f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend'),
    log,
    optionNames: flagNames(),
  });
  return { json: report, result, label };
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      "evaluate a checkpoint on a dataset's test split as the paper does (best-of-N PSNR/SSIM, FVD with --i3d); writes eval.json, grid.png, sample.gif",
    )
    .requiredOption('--checkpoint <dir>', 'checkpoint directory, checkpoints root, or run directory of evdm train');
  addSamplerOptions(addDataOptions(cmd))
    .option('--mode <mode>', 'predict | interpolate | generate', 'predict')
    .option('--horizon <n>', 'frames to predict/generate (autoregressive roll-out, e.g. KTH 30); default currentFrames')
    .option('--clips <n>', "test clips (default: the test set size, 256 for MCVD's test sets)")
    .option('--trajectories <n>', 'samples per test clip, best of N (the paper: 10 or 100)', '1')
    .option('--ema', 'use the EMA weights (default)')
    .option('--no-ema', 'use the live weights instead of the EMA weights')
    .option('--batch <n>', 'test clips per sampling batch, each sampled N times (default max(1, 8 / N))')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--i3d <dir>', 'converted I3D weights: compute FVD (skipped otherwise)')
    .option('--out <dir>', 'output directory', 'out/eval')
    .option('--json', 'print one JSON object (keys in the README)')
    .option('--backend <name>', 'tfjs backend (default: EVDM_BACKEND or auto)')
    .action(async (f: EvalFlags) => {
      const { json, result: r, label } = await runEval(f);
      if (f.json) {
        process.stdout.write(JSON.stringify(json) + '\n');
        return;
      }
      console.log(
        `${label} step ${json.step}, ${r.dataset} test split (${r.clips} clips), ${r.mode} ${r.past}${r.future ? `+${r.future}` : ''} -> ${r.horizon} frames, best of ${r.trajectories}, ${String(json.sampler).toUpperCase()} ${json.steps} steps`,
      );
      const rows = [{ method: `${label} (ours)`, fvd: r.fvd ?? (r.fvdLabel ? null : 'skipped'), psnr: r.psnr, ssim: r.ssim }];
      if (r.copyLastFrame)
        rows.push({ method: 'copy last frame', fvd: '-', psnr: r.copyLastFrame.psnr, ssim: r.copyLastFrame.ssim });
      console.log(formatEvalRows(rows));
      console.log(r.fvd === null ? FVD_SKIPPED_NOTE : `FVD: ${json.fvd_note}`);
      console.log(
        `(PSNR/SSIM: mean ± 95% CI over clips of the best of ${r.trajectories}; SSIM ${r.ssimConvention}) ${r.seconds.toFixed(1)} s; wrote ${(json.files as string[]).join(', ')}`,
      );
    });
}
