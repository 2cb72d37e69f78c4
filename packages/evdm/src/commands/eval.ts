import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write';
import { checkMemory, sampleBytes } from '../runtime/memory-budget';
import { addSamplerOptions, intFlag } from './flags';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import { loadI3D, type I3DPreprocessOptions, type Summary } from '@evdm/metrics';
import { initBackend } from '../runtime/backend';
import { loadCheckpointModel, resolveCheckpointDir, runConfigOfCheckpoint, type LoadedModel } from '../sample/load';
import { networkDenoiser } from '../sample/network-denoiser';
import { sampleVideo } from '../sample/predict';
import { evaluate, type EvalMode, type EvalModel, type EvaluationResult, type FvdSetup } from '../eval/evaluate';
import { addDataOptions, modelLabel, resolveDataFlags, type DataFlags } from '../eval/data-options';
import type { DataConfig } from '../train/run-config';

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

export const FVD_SKIPPED_NOTE =
  'FVD skipped: pass --i3d DIR with the pretrained I3D converted by packages/metrics/tools/convert_i3d_torchscript.py (see the @evdm/metrics README, "I3D weights")';

/** An `EvalModel` that samples with the network of a loaded checkpoint. */
export function checkpointEvalModel(m: LoadedModel, sampler: { sampler: 'ddpm' | 'ddim'; steps: number; eta: number }, onBlock?: (k: number, n: number) => void): EvalModel {
  const cfg = m.net.config;
  return {
    layout: cfg,
    sample: ({ mode, past, future, horizon, trajectories, batch, seed }) =>
      sampleVideo({
        mode,
        denoiser: networkDenoiser(m.net, m.store.read),
        schedule: m.schedule,
        layout: cfg,
        past: mode === 'generate' ? undefined : past,
        future,
        horizon: mode === 'interpolate' ? undefined : horizon,
        trajectories,
        batch,
        seed,
        sampler,
        onBlock,
      }),
  };
}

/** JSON numbers: non-finite values (PSNR of identical frames) become the strings "Infinity" / "NaN". */
export const jsonNum = (x: number | null | undefined): number | string | null => (x === null || x === undefined ? null : Number.isFinite(x) ? x : String(x));

const fmt = (s: Summary | null | undefined, d: number) => (!s ? '-' : `${Number.isFinite(s.mean) ? s.mean.toFixed(d) : String(s.mean)}${Number.isFinite(s.ci95) ? ` ± ${s.ci95.toFixed(d)}` : ''}`);

/** The paper-style table rows (Method, FVD, PSNR, SSIM) of an evaluation. */
export function formatEvalRows(rows: Array<{ method: string; fvd: number | null | string; psnr: Summary | null; ssim: Summary | null }>): string {
  const body = rows.map((r) => [r.method, typeof r.fvd === 'number' ? r.fvd.toFixed(2) : (r.fvd ?? '-'), fmt(r.psnr, 2), fmt(r.ssim, 4)]);
  const header = ['Method', 'FVD', 'PSNR', 'SSIM'];
  const w = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('   ');
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

export interface EvalRun {
  json: Record<string, unknown>;
  result: EvaluationResult;
  label: string;
}

/**
 * `evdm eval`: evaluates a checkpoint on a test split. `fvd` overrides `--i3d` (the smoke runs pass
 * a random I3D with its label). Returns the JSON object it prints with --json.
 */
export async function runEval(f: EvalFlags, log: (line: string) => void = (l) => process.stderr.write(l + '\n'), fvdOverride?: FvdSetup): Promise<EvalRun> {
  const mode = (f.mode ?? 'predict') as EvalMode;
  if (!['predict', 'interpolate', 'generate'].includes(mode)) throw new Error(`--mode must be predict, interpolate or generate, got "${f.mode}"`);
  const samplerName = f.sampler ?? 'ddpm';
  if (samplerName !== 'ddpm' && samplerName !== 'ddim') throw new Error(`--sampler must be ddpm or ddim, got "${f.sampler}"`);
  const eta = f.eta === undefined ? 0 : Number(f.eta);
  if (!(eta >= 0)) throw new Error(`--eta must be a number >= 0, got "${f.eta}"`);
  const N = intFlag('trajectories', f.trajectories, 1, 1);
  const steps = intFlag('steps', f.steps, 1, 100);
  // sampling batches hold batch × N samples: by default about 8
  const batch = intFlag('batch', f.batch, 1, Math.max(1, Math.floor(8 / N)));
  const seed = intFlag('seed', f.seed, 0, 0);
  const clips = intFlag('clips', f.clips, 1);
  const horizon = intFlag('horizon', f.horizon, 1);
  const ema = f.ema ?? true;
  const dir = resolveCheckpointDir(f.checkpoint);
  const recorded = runConfigOfCheckpoint(dir);
  let data: DataConfig | null = resolveDataFlags(f, recorded?.config.data ?? null);
  if (!data) {
    log(`evdm eval: ${dir} has no run config (config.json of evdm train) and no --data/--dataset was given: using held-out synthetic clips`);
    data = { source: 'synthetic' };
  }
  await initBackend({ backend: f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend'), log });
  let fvd: FvdSetup | undefined = fvdOverride;
  if (!fvd && f.i3d !== undefined) {
    fvd = { i3d: loadI3D(f.i3d), preprocess: { resize: 'mcvd' } as I3DPreprocessOptions };
  }
  const model = loadCheckpointModel(dir, { ema });
  const cfg = model.net.config;
  const label = modelLabel(cfg);
  const sampler = { sampler: samplerName as 'ddpm' | 'ddim', steps, eta };
  try {
    if (steps > model.schedule.T) throw new Error(`--steps ${steps}: the checkpoint's schedule has T = ${model.schedule.T}`);
    checkMemory(sampleBytes(cfg, batch * N, horizon ?? cfg.currentFrames), `--batch ${batch} x --trajectories ${N} at --horizon ${horizon ?? cfg.currentFrames}`);
    const out = f.out ?? 'out/eval';
    mkdirSync(out, { recursive: true });
    log(`evdm eval: ${label} (step ${model.meta.step}) from ${dir}, ${mode} on ${data.source}${'path' in data && data.path ? ` (${data.path})` : ''}, best of ${N}, ${samplerName.toUpperCase()} ${steps} steps, ${ema ? 'EMA' : 'live'} weights`);
    // a line per roll-out block too: one batch of a paper-scale protocol can take long on a CPU
    let batchNo = 1;
    const onBlock = (k: number, n: number) => {
      if (n > 1 && k < n) log(`evdm eval: batch ${batchNo}: roll-out block ${k}/${n} done`);
    };
    const result = await evaluate({
      model: checkpointEvalModel(model, sampler, onBlock),
      data,
      mode,
      horizon,
      clips,
      trajectories: N,
      batch,
      seed,
      fvd,
      out,
      onBatch: (p) => {
        batchNo = p.batch + 1;
        const eta = p.clipsDone < p.clips ? `, ETA ${((p.seconds / p.clipsDone) * (p.clips - p.clipsDone)).toFixed(0)} s` : '';
        log(`evdm eval: batch ${p.batch}/${p.batches} (${p.clipsDone}/${p.clips} clips, ${p.seconds.toFixed(1)} s${eta})`);
      },
    });
    const r = result;
    const json: Record<string, unknown> = {
      checkpoint: dir,
      step: model.meta.step,
      model: label,
      network: { arch: cfg.arch, baseChannels: cfg.baseChannels, imageSize: cfg.imageSize, pastFrames: cfg.pastFrames, currentFrames: cfg.currentFrames, futureFrames: cfg.futureFrames, params: model.store.count() },
      dataset: r.dataset,
      data_path: 'path' in data ? (data.path ?? null) : null,
      test_set_size: r.testSetSize,
      mode,
      past: r.past,
      future: r.future,
      horizon: r.horizon,
      clips: r.clips,
      trajectories: N,
      sampler: samplerName,
      steps,
      eta,
      ema,
      batch,
      seed,
      psnr: jsonNum(r.psnr?.mean),
      psnr_std: jsonNum(r.psnr?.std),
      psnr_ci95: jsonNum(r.psnr?.ci95),
      ssim: jsonNum(r.ssim?.mean),
      ssim_std: jsonNum(r.ssim?.std),
      ssim_ci95: jsonNum(r.ssim?.ci95),
      ssim_convention: r.ssimConvention,
      fvd: jsonNum(r.fvd),
      fvd_note: r.fvd === null ? FVD_SKIPPED_NOTE : (r.fvdLabel ?? 'I3D from --i3d, MCVD preprocessing (shorter side 224, centre crop)'),
      copy_last_frame: r.copyLastFrame ? { psnr: jsonNum(r.copyLastFrame.psnr.mean), ssim: jsonNum(r.copyLastFrame.ssim.mean) } : null,
      seconds: r.seconds,
      files: [...r.files, join(out, 'eval.json')],
    };
    writeFileAtomic(join(out, 'eval.json'), JSON.stringify(json, null, 2) + '\n', 'results');
    return { json, result, label };
  } finally {
    model.dispose();
    if (fvd && !fvdOverride) fvd.i3d.dispose();
  }
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description("evaluate a checkpoint on a dataset's test split as the paper does (best-of-N PSNR/SSIM, FVD with --i3d); writes eval.json, grid.png, sample.gif")
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
      console.log(`${label} step ${json.step}, ${r.dataset} test split (${r.clips} clips), ${r.mode} ${r.past}${r.future ? `+${r.future}` : ''} -> ${r.horizon} frames, best of ${r.trajectories}, ${String(json.sampler).toUpperCase()} ${json.steps} steps`);
      const rows = [{ method: `${label} (ours)`, fvd: r.fvd ?? (r.fvdLabel ? null : 'skipped'), psnr: r.psnr, ssim: r.ssim }];
      if (r.copyLastFrame) rows.push({ method: 'copy last frame', fvd: '-', psnr: r.copyLastFrame.psnr, ssim: r.copyLastFrame.ssim });
      console.log(formatEvalRows(rows));
      console.log(r.fvd === null ? FVD_SKIPPED_NOTE : `FVD: ${json.fvd_note}`);
      console.log(`(PSNR/SSIM: mean ± 95% CI over clips of the best of ${r.trajectories}; SSIM ${r.ssimConvention}) ${r.seconds.toFixed(1)} s; wrote ${(json.files as string[]).join(', ')}`);
    });
}
