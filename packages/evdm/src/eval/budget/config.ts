/**
 * The fidelity-per-compute study (`evdm reproduce budget`): its scales, run configs and options.
 * MCVD, EVDM and EVDM-L are built from the same preset family (SM-MNIST) at the same base width,
 * levels and depth; only the residual blocks and attention differ (models/presets.ts).
 */
import { MAIN_JOB } from '../../commands/main';
import { modelConfig, type ModelName } from '../../models/presets';
import type { NetworkConfigInput } from '../../models/network-config';
import type { DataConfig } from '../../train/run-config';
import type { TrainConfig } from '../../train/train-config';
import type { ScheduleConfigInput } from '@evdm/diffusion';

export const BUDGET_MODELS: readonly ModelName[] = ['mcvd', 'evdm', 'evdm-l'];
export type BudgetScaleName = 'default' | 'paper' | 'smoke';

/** How every model of a study is trained and scored. */
export interface BudgetScale {
  name: BudgetScaleName;
  /** Why this scale, printed in the output and the results JSON. */
  note: string;
  /** Shared overrides of the SM-MNIST preset (width, levels, depth, frames, image size). */
  network: Partial<NetworkConfigInput>;
  data: DataConfig;
  schedule: ScheduleConfigInput;
  train: Partial<TrainConfig>;
  /** Evaluation protocol: fixed test clips, best of `trajectories`, DDPM `steps`. */
  eval: { clips: number; trajectories: number; steps: number; batch: number };
  /** Defaults of --minutes and --eval-every for this scale. */
  minutes: number;
  evalEvery: number;
}

const MJ = MAIN_JOB;

/** The main job's scale (which measurably learns in 30 CPU minutes), for all three networks. */
const DEFAULT_SCALE: BudgetScale = {
  name: 'default',
  note:
    "main-job scale: SM-MNIST at half MCVD's size (32 px canvas, one 16 px digit), 2 past -> 1 predicted frame, C0 32, levels [1,2,2], 1 res block, attention at 8 px, " +
    'v-prediction, batch 16, lr 2e-3; the largest setting measured to learn (beat copy-last-frame) within 30 min on a 2-core CPU (evdm main); ' +
    "the paper's 64 px, 2-digit, 5 -> 5 frame setting (--paper-scale) costs ~1.9 TFLOP per MCVD training step at batch 64 (3x the 632 GFLOPs of Table 2), an estimated tens of steps per CPU hour (not measured)",
  network: {
    baseChannels: MJ.network.baseChannels,
    headChannels: MJ.network.headChannels,
    channelMult: [...MJ.network.channelMult],
    numResBlocks: MJ.network.numResBlocks,
    attnResolutions: [...MJ.network.attnResolutions],
    imageSize: MJ.network.imageSize,
    pastFrames: MJ.network.pastFrames,
    currentFrames: MJ.network.currentFrames,
    futureFrames: 0,
    dropout: 0,
  },
  data: { source: 'smmnist', seed: MJ.data.seed, smmnist: { ...MJ.data.smmnist } },
  schedule: { ...MJ.schedule },
  train: {
    batchSize: MJ.train.batchSize,
    lr: MJ.train.lr,
    warmup: MJ.train.warmup,
    emaRate: MJ.train.emaRate,
    reduction: MJ.train.reduction,
    maskProbPast: MJ.train.maskProbPast,
    maskProbFuture: MJ.train.maskProbFuture,
    checkpointEvery: 500,
    logEvery: 10,
  },
  eval: { clips: 32, trajectories: 4, steps: 100, batch: 8 },
  minutes: 45,
  evalEvery: 15,
};

/** The paper's SM-MNIST setting (§4.3, docs/mcvd-reference.md §1, §6-7): meant for a GPU and a long budget. */
const PAPER_SCALE: BudgetScale = {
  name: 'paper',
  note:
    "paper scale: SM-MNIST 64 px, 2 digits, 5 past -> 5 predicted frames, the preset's C0 64, levels [1,2,3,4], 2 res blocks, attention at 32/16/8 px, " +
    'epsilon-prediction, masked conditioning (p = 0.5), batch 64, lr 2e-4, warm-up 1000, EMA 0.999; 256 test clips, best of 10',
  network: {},
  data: { source: 'smmnist', seed: 1 },
  schedule: {},
  train: { batchSize: 64, lr: 2e-4, warmup: 1000, emaRate: 0.999, checkpointEvery: 1000, logEvery: 10 },
  eval: { clips: 256, trajectories: 10, steps: 100, batch: 4 },
  minutes: 45,
  evalEvery: 15,
};

/** Tiny networks and data: the whole path in seconds (tests, a quick check of an install). */
const SMOKE_SCALE: BudgetScale = {
  name: 'smoke',
  note: 'smoke: tiny networks (16 px, C0 16, 2 levels) trained for seconds on 16 px SM-MNIST; 2 test clips, best of 2, DDPM 2 steps; the numbers only show that the path works',
  network: {
    baseChannels: 16,
    headChannels: 16,
    channelMult: [1, 2],
    numResBlocks: 1,
    attnResolutions: [8],
    imageSize: 16,
    pastFrames: 2,
    currentFrames: 1,
    futureFrames: 0,
    dropout: 0,
  },
  data: { source: 'smmnist', seed: 1, smmnist: { imageSize: 16, digitSize: 8, numDigits: 1 } },
  schedule: { prediction: 'v' },
  train: {
    batchSize: 2,
    lr: 1e-3,
    warmup: 2,
    emaRate: 0.9,
    reduction: 'mean',
    maskProbPast: 0,
    maskProbFuture: 0,
    checkpointEvery: 0,
    logEvery: 1,
  },
  eval: { clips: 2, trajectories: 2, steps: 2, batch: 2 },
  minutes: 0.04,
  evalEvery: 0.02,
};

export function budgetScale(name: BudgetScaleName): BudgetScale {
  return name === 'paper' ? PAPER_SCALE : name === 'smoke' ? SMOKE_SCALE : DEFAULT_SCALE;
}

/** The network of one model at a scale (same width, levels and depth for all three). */
export function budgetNetwork(model: ModelName, scale: BudgetScale): NetworkConfigInput {
  return modelConfig(model, 'smmnist', scale.network);
}

/** The `evdm train` run config (config.json) of one model of the study. */
export function budgetRunConfig(model: ModelName, scale: BudgetScale, seed: number): Record<string, unknown> {
  return {
    network: budgetNetwork(model, scale),
    data: scale.data,
    schedule: scale.schedule,
    // bounded by the wall-clock budget, not by steps
    train: { ...scale.train, steps: 1_000_000_000, seed },
  };
}

/** What `runBudgetStudy` takes (everything but `out` has a default). */
export interface BudgetStudyOptions {
  out: string;
  models?: ModelName[];
  /** Training wall-clock minutes per model (evaluation time not counted). */
  minutes?: number;
  /** Evaluate every this many training minutes, and at the end of the budget. */
  evalEvery?: number;
  scale?: BudgetScaleName;
  /** Continue the study in `out` (each model's run from its newest checkpoint). */
  resume?: boolean;
  seed?: number;
  /** Override the scale's evaluation protocol. */
  clips?: number;
  trajectories?: number;
  sampleSteps?: number;
  /** Converted I3D weights: FVD at each point (absent otherwise). */
  i3d?: string;
  /** Score with the EMA weights (default: the live ones, as evdm main; the EMA lags this early). */
  ema?: boolean;
  backend?: string;
  log?: (line: string) => void;
  /** Milliseconds (injectable for tests; default performance.now). */
  clock?: () => number;
  /** After every training step (tests advance a fake clock here). */
  onTrainStep?: (model: ModelName, step: number) => void;
  /** Polled between steps: true stops the study with a checkpoint (Ctrl-C); resume later. */
  shouldStop?: () => boolean;
}

export interface ResolvedBudgetOptions extends Required<
  Omit<BudgetStudyOptions, 'i3d' | 'backend' | 'onTrainStep' | 'shouldStop'>
> {
  i3d?: string;
  backend?: string;
  onTrainStep?: (model: ModelName, step: number) => void;
  shouldStop?: () => boolean;
  scaleConfig: BudgetScale;
}

const positiveInt = (what: string, v: number) => {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
  return v;
};

/** Fills defaults and checks every option; errors name the flag and the value. */
export function resolveBudgetOptions(o: BudgetStudyOptions): ResolvedBudgetOptions {
  if (!o || typeof o.out !== 'string' || o.out === '') throw new Error('budget study: "out" (the output directory) is required');
  const scale = o.scale ?? 'default';
  if (!['default', 'paper', 'smoke'].includes(scale)) throw new Error(`scale must be default, paper or smoke, got "${scale}"`);
  const sc = budgetScale(scale);
  const models = o.models ?? [...BUDGET_MODELS];
  if (models.length === 0) throw new Error(`--models: give at least one of ${BUDGET_MODELS.join(', ')}`);
  for (const m of models)
    if (!BUDGET_MODELS.includes(m)) throw new Error(`--models: unknown model "${m}" (have ${BUDGET_MODELS.join(', ')})`);
  if (new Set(models).size !== models.length) throw new Error(`--models: "${models.join(',')}" names a model twice`);
  const minutes = o.minutes ?? sc.minutes;
  if (!(Number.isFinite(minutes) && minutes > 0))
    throw new Error(`--minutes must be a positive number of minutes, got ${minutes}`);
  const evalEvery = o.evalEvery ?? Math.min(sc.evalEvery, minutes);
  if (!(Number.isFinite(evalEvery) && evalEvery > 0))
    throw new Error(`--eval-every must be a positive number of minutes, got ${evalEvery}`);
  if (evalEvery > minutes)
    throw new Error(
      `--eval-every ${evalEvery} is longer than the budget --minutes ${minutes}: no evaluation point would fall inside it`,
    );
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be an integer >= 0, got ${seed}`);
  return {
    out: o.out,
    models: [...models],
    minutes,
    evalEvery,
    scale,
    resume: o.resume ?? false,
    seed,
    clips: positiveInt('--clips', o.clips ?? sc.eval.clips),
    trajectories: positiveInt('--trajectories', o.trajectories ?? sc.eval.trajectories),
    sampleSteps: positiveInt('--steps', o.sampleSteps ?? sc.eval.steps),
    i3d: o.i3d,
    ema: o.ema ?? false,
    backend: o.backend,
    log: o.log ?? ((l) => process.stderr.write(l + '\n')),
    clock: o.clock ?? (() => performance.now()),
    onTrainStep: o.onTrainStep,
    shouldStop: o.shouldStop,
    scaleConfig: sc,
  };
}

/** Comma-separated `--models` (e.g. "mcvd,evdm-l"). */
export function parseModelList(v: string): ModelName[] {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const m of names)
    if (!BUDGET_MODELS.includes(m as ModelName))
      throw new Error(`--models: unknown model "${m}" (have ${BUDGET_MODELS.join(', ')})`);
  return names as ModelName[];
}
