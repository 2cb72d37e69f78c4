import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendChoice } from '@evdm/backend';
import { loadI3D, type I3DPreprocessOptions } from '@evdm/metrics';
import { writeFileAtomic } from '../io/atomic-write';
import { checkMemory, sampleBytes } from '../runtime/memory-budget';
import { initBackend } from '../runtime/backend';
import { ownOptionNames, stderrLine, type OptionNames } from '../runtime/option-names';
import { loadCheckpointModel, resolveCheckpointDir, runConfigOfCheckpoint, type LoadedModel } from '../sample/load';
import { networkDenoiser } from '../sample/network-denoiser';
import { sampleVideo, type SamplerConfig } from '../sample/predict';
import { checkPipelineInt, checkSamplingOptions } from '../sample/pipeline-checks';
import type { DataConfig } from '../train/run-config';
import { evaluate, type EvalMode, type EvalModel, type EvaluationResult, type FvdSetup } from './evaluate';
import { modelLabel } from './data-options';

export const FVD_SKIPPED_NOTE =
  'FVD skipped: pass --i3d DIR with the pretrained I3D converted by packages/metrics/tools/convert_i3d_torchscript.py (see the @evdm/metrics README, "I3D weights")';

/** An `EvalModel` that samples with the network of a loaded checkpoint. */
export function checkpointEvalModel(
  m: LoadedModel,
  sampler: Partial<SamplerConfig>,
  onBlock?: (k: number, n: number) => void,
): EvalModel {
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
export const jsonNum = (x: number | null | undefined): number | string | null =>
  x === null || x === undefined ? null : Number.isFinite(x) ? x : String(x);

export interface EvaluateCheckpointOptions {
  /** A checkpoint directory, a checkpoints root or a run directory of `train`. */
  checkpoint: string;
  /** Test data. Default: the data of the checkpoint's run config, else held-out synthetic clips. */
  data?: DataConfig;
  /** Default 'predict'. */
  mode?: EvalMode;
  /** Frames to predict / generate (autoregressive roll-out); default currentFrames. */
  horizon?: number;
  /** Test clips (default: the test set size). */
  clips?: number;
  /** Samples per test clip, best of N; default 1. */
  trajectories?: number;
  /** Default DDPM, 100 steps, eta 0. */
  sampler?: Partial<SamplerConfig>;
  /** EMA weights (default) or the live ones. */
  ema?: boolean;
  /** Test clips per sampling batch, each sampled N times; default max(1, 8 / N). */
  batch?: number;
  seed?: number;
  /** FVD: a directory of converted I3D weights, or a loaded I3D (owned by the caller). Omitted: FVD skipped. */
  fvd?: string | FvdSetup;
  /** Output directory: eval.json, grid.png, sample.gif (default out/eval). */
  out?: string;
  backend?: BackendChoice;
  /** Messages and per-batch progress (default: stderr). */
  log?: (line: string) => void;
  optionNames?: OptionNames;
}

/** eval.json, and what `evdm eval --json` prints: snake_case keys, non-finite numbers as strings. */
export interface EvalReport {
  checkpoint: string;
  step: number;
  model: string;
  network: {
    arch: string;
    baseChannels: number;
    imageSize: number;
    pastFrames: number;
    currentFrames: number;
    futureFrames: number;
    params: number;
  };
  dataset: string;
  data_path: string | null;
  test_set_size: number | null;
  mode: EvalMode;
  past: number;
  future: number;
  horizon: number;
  clips: number;
  trajectories: number;
  sampler: 'ddpm' | 'ddim';
  steps: number;
  eta: number;
  ema: boolean;
  batch: number;
  seed: number;
  psnr: number | string | null;
  psnr_std: number | string | null;
  psnr_ci95: number | string | null;
  ssim: number | string | null;
  ssim_std: number | string | null;
  ssim_ci95: number | string | null;
  ssim_convention: string;
  fvd: number | string | null;
  fvd_note: string;
  copy_last_frame: { psnr: number | string | null; ssim: number | string | null } | null;
  seconds: number;
  files: string[];
}

export interface CheckpointEvaluation {
  report: EvalReport;
  /** The metrics as numbers (summaries with std and CI). */
  result: EvaluationResult;
  /** "MCVD", "EVDM" or "EVDM-L". */
  label: string;
}

/**
 * Evaluates a checkpoint on a test split as the paper does: best-of-N PSNR / SSIM, the
 * copy-last-frame baseline, FVD with I3D weights; writes eval.json, grid.png and sample.gif. The
 * `evdm eval` command parses its flags into these options.
 */
export async function evaluateCheckpoint(o: EvaluateCheckpointOptions): Promise<CheckpointEvaluation> {
  const name = o.optionNames ?? ownOptionNames;
  const log = o.log ?? stderrLine;
  const { mode, sampler, trajectories: N } = checkSamplingOptions(o, name);
  // sampling batches hold batch × N samples: by default about 8
  const batch = checkPipelineInt(name('batch'), o.batch ?? Math.max(1, Math.floor(8 / N)), 1);
  const seed = checkPipelineInt(name('seed'), o.seed ?? 0, 0);
  const clips = o.clips === undefined ? undefined : checkPipelineInt(name('clips'), o.clips, 1);
  const horizon = o.horizon === undefined ? undefined : checkPipelineInt(name('horizon'), o.horizon, 1);
  const ema = o.ema ?? true;
  const dir = resolveCheckpointDir(o.checkpoint, name('checkpoint'));
  let data: DataConfig | null = o.data ?? runConfigOfCheckpoint(dir)?.config.data ?? null;
  if (!data) {
    log(
      `evdm eval: ${dir} has no run config (config.json of evdm train) and no --data/--dataset was given: using held-out synthetic clips`,
    );
    data = { source: 'synthetic' };
  }
  await initBackend({ backend: o.backend, log });
  const ownI3d = typeof o.fvd === 'string';
  const fvd: FvdSetup | undefined =
    typeof o.fvd === 'string' ? { i3d: loadI3D(o.fvd), preprocess: { resize: 'mcvd' } as I3DPreprocessOptions } : o.fvd;
  let model: LoadedModel | undefined;
  try {
    model = loadCheckpointModel(dir, { ema });
    const cfg = model.net.config;
    const label = modelLabel(cfg);
    if (sampler.steps > model.schedule.T)
      throw new Error(`${name('steps')} ${sampler.steps}: the checkpoint's schedule has T = ${model.schedule.T}`);
    const h = horizon ?? cfg.currentFrames;
    checkMemory(
      sampleBytes(cfg, batch * N, h),
      `${name('batch')} ${batch} x ${name('trajectories')} ${N} at ${name('horizon')} ${h}`,
    );
    const out = o.out ?? 'out/eval';
    mkdirSync(out, { recursive: true });
    const where = 'path' in data && data.path ? ` (${data.path})` : '';
    log(
      `evdm eval: ${label} (step ${model.meta.step}) from ${dir}, ${mode} on ${data.source}${where}, best of ${N}, ${sampler.sampler.toUpperCase()} ${sampler.steps} steps, ${ema ? 'EMA' : 'live'} weights`,
    );
    // a line per roll-out block too: one batch of a paper-scale protocol can take long on a CPU
    let batchNo = 1;
    const onBlock = (k: number, n: number) => {
      if (n > 1 && k < n) log(`evdm eval: batch ${batchNo}: roll-out block ${k}/${n} done`);
    };
    const r = await evaluate({
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
    const report: EvalReport = {
      checkpoint: dir,
      step: model.meta.step,
      model: label,
      network: {
        arch: cfg.arch,
        baseChannels: cfg.baseChannels,
        imageSize: cfg.imageSize,
        pastFrames: cfg.pastFrames,
        currentFrames: cfg.currentFrames,
        futureFrames: cfg.futureFrames,
        params: model.store.count(),
      },
      dataset: r.dataset,
      data_path: 'path' in data ? (data.path ?? null) : null,
      test_set_size: r.testSetSize,
      mode,
      past: r.past,
      future: r.future,
      horizon: r.horizon,
      clips: r.clips,
      trajectories: N,
      sampler: sampler.sampler,
      steps: sampler.steps,
      eta: sampler.eta,
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
      fvd_note:
        r.fvd === null ? FVD_SKIPPED_NOTE : (r.fvdLabel ?? 'I3D from --i3d, MCVD preprocessing (shorter side 224, centre crop)'),
      copy_last_frame: r.copyLastFrame
        ? { psnr: jsonNum(r.copyLastFrame.psnr.mean), ssim: jsonNum(r.copyLastFrame.ssim.mean) }
        : null,
      seconds: r.seconds,
      files: [...r.files, join(out, 'eval.json')],
    };
    writeFileAtomic(join(out, 'eval.json'), JSON.stringify(report, null, 2) + '\n', 'results');
    return { report, result: r, label };
  } finally {
    model?.dispose();
    if (fvd && ownI3d) fvd.i3d.dispose();
  }
}
