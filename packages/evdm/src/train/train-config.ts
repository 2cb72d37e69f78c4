/**
 * Training hyper-parameters. Defaults follow docs/mcvd-reference.md §6-7 (Adam lr 2e-4 with 5000 warm-up steps,
 * global-norm clipping 1, EMA 0.999, batch 64, MCVD's per-sample-sum loss) and the masked conditioning
 * of the paper (past and future frames each dropped with probability 0.5).
 */
import { failWith, parseConfigJson, type Configurable, type Fail } from '@evdm/core';

export interface TrainConfig {
  /** Total optimiser updates of the run. */
  steps: number;
  batchSize: number;
  /** Seeds weights, timesteps, masks, noise and dropout. */
  seed: number;
  lr: number;
  warmup: number;
  gradClip: number;
  emaRate: number;
  maskProbPast: number;
  maskProbFuture: number;
  /** Drop past and future together (one mask). */
  syncMask: boolean;
  reduction: 'mean' | 'mcvd-sum';
  /** Write a checkpoint every N steps (0 = only at the end). */
  checkpointEvery: number;
  /** Call the sample hook every N steps (0 = never). */
  sampleEvery: number;
  /** Log (JSONL, progress, loss plot) every N steps. */
  logEvery: number;
  /** Checkpoints kept on disk. */
  keepCheckpoints: number;
  /** Gradient checkpointing (recompute block activations in the backward pass): less memory, ~1/3 more compute. */
  rematerialize: boolean;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  steps: 1000,
  batchSize: 64,
  seed: 0,
  lr: 2e-4,
  warmup: 5000,
  gradClip: 1,
  emaRate: 0.999,
  maskProbPast: 0.5,
  maskProbFuture: 0.5,
  syncMask: false,
  reduction: 'mcvd-sum',
  checkpointEvery: 1000,
  sampleEvery: 0,
  logEvery: 10,
  keepCheckpoints: 3,
  rematerialize: false,
};

const fail: Fail = failWith('invalid train config');

/** Fills defaults and validates every field; unknown keys are an error (typos must not pass silently). */
export function resolveTrainConfig(input: Partial<TrainConfig> = {}): TrainConfig {
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail('expected an object');
  const unknown = Object.keys(input).filter((k) => !(k in DEFAULT_TRAIN_CONFIG));
  if (unknown.length) fail(`unknown field(s) ${unknown.join(', ')} (known: ${Object.keys(DEFAULT_TRAIN_CONFIG).join(', ')})`);
  const c: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...input };
  const int = (k: keyof TrainConfig, min: number) => {
    const v = c[k] as number;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      fail(`${k} must be an integer in [${min}, 2^53 - 1], got ${JSON.stringify(v)}`);
  };
  int('steps', 0);
  int('batchSize', 1);
  int('seed', 0);
  int('warmup', 0);
  int('checkpointEvery', 0);
  int('sampleEvery', 0);
  int('logEvery', 1);
  int('keepCheckpoints', 1);
  const num = (k: keyof TrainConfig, ok: (v: number) => boolean, what: string) => {
    const v = c[k] as number;
    if (typeof v !== 'number' || !ok(v)) fail(`${k} must be ${what}, got ${JSON.stringify(v)}`);
  };
  num('lr', (v) => v > 0 && Number.isFinite(v), 'a positive number');
  num('gradClip', (v) => v >= 0, 'a number >= 0 (0 disables clipping)');
  num('emaRate', (v) => v >= 0 && v < 1, 'in [0, 1)');
  num('maskProbPast', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]');
  num('maskProbFuture', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]');
  if (typeof c.rematerialize !== 'boolean') fail(`rematerialize must be a boolean, got ${JSON.stringify(c.rematerialize)}`);
  if (typeof c.syncMask !== 'boolean') fail(`syncMask must be a boolean, got ${JSON.stringify(c.syncMask)}`);
  if (c.syncMask && c.maskProbPast !== c.maskProbFuture) fail('syncMask needs maskProbPast === maskProbFuture');
  if (c.reduction !== 'mean' && c.reduction !== 'mcvd-sum')
    fail(`reduction must be "mean" or "mcvd-sum", got ${JSON.stringify(c.reduction)}`);
  return c;
}

/** The config idiom for train configs: `TrainConfig.resolve(partial)` (defaults + validation), `TrainConfig.fromJSON(json)`. */
export const TrainConfig: Configurable<Partial<TrainConfig>, TrainConfig> = {
  resolve: (input: Partial<TrainConfig> = {}) => resolveTrainConfig(input),
  fromJSON: (json: unknown) => resolveTrainConfig(parseConfigJson('TrainConfig', json) as Partial<TrainConfig>),
};
