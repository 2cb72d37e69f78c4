/**
 * The study's results file (`<out>/budget.json`): written atomically after every checkpoint and
 * evaluation point, so an interrupted study loses nothing it recorded and `--resume` knows each
 * checkpoint's training time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write';
import { readJsonConfigFile } from '../../train/run-config';
import type { ModelName } from '../../models/presets';
import type { BudgetScaleName } from './config';

export const RESULTS_FILE = 'budget.json';

/** A number for JSON: non-finite values become "Infinity" / "NaN", absent ones null. */
export type JsonNumber = number | string | null;

/** One evaluation of one model's checkpoint (a row of `--json`). */
export interface BudgetPoint {
  step: number;
  /** Training wall-clock minutes when the checkpoint was written (evaluation time excluded). */
  train_minutes: number;
  checkpoint: string | null;
  /** Mean training loss over the steps since the previous point (null after a resume without steps). */
  loss: number | null;
  psnr: JsonNumber;
  psnr_ci95: JsonNumber;
  ssim: JsonNumber;
  ssim_ci95: JsonNumber;
  /** null when absent (no --i3d) or failed; `fvd_note` says which. */
  fvd: JsonNumber;
  fvd_note: string;
  eval_seconds: number;
  /** The point at the end of the budget. */
  final: boolean;
}

export interface BudgetModelResult {
  model: ModelName;
  label: string;
  run_dir: string;
  params: number;
  /** Forward GFLOPs per sample (fvcore convention, batch 1). */
  gflops: number;
  /** gflops / MCVD's at the same scale. */
  gflops_ratio: number;
  /** The same ratio in the paper's Table 2 (SM-MNIST). */
  paper_gflops_ratio: number;
  steps: number;
  train_minutes: number;
  /** Training time of every checkpoint written (resume reads it back). */
  checkpoints: Array<{ step: number; train_seconds: number; dir: string; due: boolean }>;
  points: BudgetPoint[];
  /** The budget is spent and the final point evaluated. */
  done: boolean;
  /** Where the end-of-budget predictions were written (GIF, PNG grid). */
  gif: string | null;
  grid: string | null;
}

export interface CopyLastResult {
  psnr: JsonNumber;
  psnr_ci95: JsonNumber;
  ssim: JsonNumber;
  ssim_ci95: JsonNumber;
}

export interface BudgetStudyResult {
  kind: 'evdm-budget-study';
  version: 1;
  scale: BudgetScaleName;
  scale_note: string;
  started: string;
  updated: string;
  /** Training budget per model (minutes) and evaluation interval. */
  minutes: number;
  eval_every: number;
  seed: number;
  backend: string;
  protocol: {
    dataset: string;
    clips: number;
    trajectories: number;
    sampler: 'ddpm';
    steps: number;
    weights: 'ema' | 'live';
    ssim_convention: string;
  };
  copy_last_frame: CopyLastResult | null;
  models: BudgetModelResult[];
  /** The last invocation stopped early (signal); resume with --resume. */
  stopped: boolean;
}

/** Keys that must not change between an interrupted study and its --resume (they change the numbers). */
const FIXED: Array<
  [keyof BudgetStudyResult | 'protocol.clips' | 'protocol.trajectories' | 'protocol.steps' | 'protocol.weights', string]
> = [
  ['scale', '--smoke / --paper-scale'],
  ['seed', '--seed'],
  ['eval_every', '--eval-every'],
  ['protocol.clips', '--clips'],
  ['protocol.trajectories', '--trajectories'],
  ['protocol.steps', '--steps'],
  ['protocol.weights', '--ema'],
];

const get = (r: BudgetStudyResult, key: string): unknown =>
  key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], r);

export function resultsPath(out: string): string {
  return join(out, RESULTS_FILE);
}

export function writeResults(out: string, r: BudgetStudyResult): void {
  writeFileAtomic(
    resultsPath(out),
    JSON.stringify({ ...r, updated: new Date().toISOString() }, null, 2) + '\n',
    'budget study results',
  );
}

/** The recorded study of `out`, checked against this invocation's settings (errors name the flag). */
export function readResultsForResume(out: string, now: BudgetStudyResult): BudgetStudyResult {
  const path = resultsPath(out);
  if (!existsSync(path)) throw new Error(`--resume ${out}: no ${RESULTS_FILE} there (start the study without --resume)`);
  const r = readJsonConfigFile(path) as BudgetStudyResult;
  if (!r || r.kind !== 'evdm-budget-study' || !Array.isArray(r.models))
    throw new Error(`${path} is not a budget study results file (kind "${(r as { kind?: string })?.kind}")`);
  for (const [key, flag] of FIXED) {
    const a = get(r, key);
    const b = get(now, key);
    if (a !== b)
      throw new Error(
        `--resume ${out}: ${flag} differs from the interrupted study (${key} ${JSON.stringify(a)} recorded, ${JSON.stringify(b)} now); resume with the same setting or start a new --out`,
      );
  }
  return r;
}

/** One object per model and evaluated checkpoint (`evdm reproduce budget --json`). */
export function budgetRows(r: BudgetStudyResult): Array<Record<string, unknown>> {
  return r.models.flatMap((m) =>
    m.points.map((p) => ({
      model: m.model,
      label: m.label,
      scale: r.scale,
      params: m.params,
      gflops: m.gflops,
      gflops_ratio: m.gflops_ratio,
      paper_gflops_ratio: m.paper_gflops_ratio,
      ...p,
      copy_last_psnr: r.copy_last_frame?.psnr ?? null,
      copy_last_ssim: r.copy_last_frame?.ssim ?? null,
      budget_minutes: r.minutes,
      backend: r.backend,
    })),
  );
}
