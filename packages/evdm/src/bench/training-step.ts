import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '@evdm/core';
import { DenoisingUNet } from '../models/unet';
import { modelConfig, DATASET_PRESETS, type DatasetName, type ModelName } from '../models/presets';
import { SyntheticClipSource } from '../data/synthetic';
import { Trainer } from '../train/trainer';
import type { NetworkConfigInput } from '../models/network-config';

export interface StepTiming {
  model: string;
  backend: string;
  batch: number;
  /** Median of the timed steps, milliseconds. */
  median_ms: number;
  /** Every timed step, milliseconds (the warm-up steps excluded). */
  runs: number[];
  /** Untimed steps before them. */
  warmup: number;
}

const MODELS: ModelName[] = ['mcvd', 'evdm', 'evdm-l'];

/** Default untimed calls (see StepTimingOptions.warmup). */
export const TRAIN_WARMUP = 2;
// a sampling run calls the network hundreds of times: the first few calls compile tfjs' JS paths and fill
// the buffer pool (measured: ~10-20 % slower), so sampling times the steady state after 5
export const SAMPLE_WARMUP = 5;

/** `mcvd-kth` → { model: 'mcvd', dataset: 'kth' }; a bare model name takes `defaultDataset`. */
export function parseBenchModel(name: string, defaultDataset: DatasetName = 'kth'): { model: ModelName; dataset: DatasetName } {
  for (const m of [...MODELS].sort((a, b) => b.length - a.length)) {
    if (name === m) return { model: m, dataset: defaultDataset };
    if (name.startsWith(`${m}-`)) {
      const d = name.slice(m.length + 1);
      if (d in DATASET_PRESETS) return { model: m, dataset: d as DatasetName };
      throw new Error(`--model ${name}: unknown dataset "${d}" (have ${Object.keys(DATASET_PRESETS).join(', ')})`);
    }
  }
  throw new Error(
    `--model must be one of ${MODELS.map((m) => `${m}-kth`).join(', ')} (or another dataset suffix), got "${name}"`,
  );
}

export interface StepTimingOptions {
  model: ModelName;
  dataset: DatasetName;
  batch: number;
  runs: number;
  backend: string;
  onRun?: (i: number, ms: number) => void;
  /**
   * Untimed calls first (default: 2 training steps, 1 sampling step). A training run's second step
   * is its last one with one-time costs: the first creates the kernels' primitives and Adam's moments,
   * the second allocates the second set of parameter / moment buffers the updates alternate between
   * (~0.5-0.8 s of page faults for EVDM-L-KTH here); from the third on, steps reuse them.
   */
  warmup?: number;
  /** Overrides of the preset network (e.g. a tiny one for smoke runs). */
  overrides?: Partial<NetworkConfigInput>;
}

function checkCounts({ batch, runs, warmup }: StepTimingOptions): void {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  if (warmup !== undefined && (!Number.isInteger(warmup) || warmup < 0))
    throw new Error(`warmup must be a non-negative integer, got ${warmup}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
}

/** `warmup` untimed calls of `once`, then `runs` timed calls: the record with the median and every run. */
async function timeCalls(opts: StepTimingOptions, warmup: number, once: () => Promise<unknown>): Promise<StepTiming> {
  const { model, dataset, batch, runs } = opts;
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
    opts.onRun?.(i + 1, times[i]);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { model: `${model}-${dataset}`, backend: opts.backend, batch, median_ms: median, runs: times, warmup };
}

/**
 * Times full training steps (forward + backward + Adam with clipping + EMA) of a preset network on
 * synthetic clips of the preset's layout, on whatever backend is active: `warmup` untimed steps
 * (default 2: kernel set-up, XNNPACK packing, the optimizer's buffers), then `runs` timed steps.
 * Returns the median and every run.
 */
export async function timeTrainingSteps(
  opts: StepTimingOptions & {
    /** Gradient checkpointing (train.rematerialize): lets batch-8 KTH steps fit the wasm heap. */
    rematerialize?: boolean;
  },
): Promise<StepTiming> {
  checkCounts(opts);
  const { model, dataset, batch, runs } = opts;
  const network = modelConfig(model, dataset, opts.overrides);
  const cfg = new DenoisingUNet(network).config;
  const data = new SyntheticClipSource({
    batchSize: batch,
    imageSize: cfg.imageSize,
    channels: cfg.imageChannels,
    past: cfg.pastFrames,
    current: cfg.currentFrames,
    future: cfg.futureFrames,
    seed: 1,
  });
  const warmup = opts.warmup ?? TRAIN_WARMUP;
  const trainer = new Trainer({
    network,
    data,
    train: {
      steps: runs + warmup,
      batchSize: batch,
      warmup: 0,
      checkpointEvery: 0,
      rematerialize: opts.rematerialize ?? false,
    },
  });
  try {
    return await timeCalls(opts, warmup, () => trainer.trainStep());
  } finally {
    trainer.dispose();
  }
}

/**
 * Times sampling steps of a preset network: one DDPM reverse step is one denoiser call (eval mode,
 * no tape; the update itself is a few elementwise ops), read back to the host. `warmup` untimed
 * calls (default SAMPLE_WARMUP), then `runs` timed calls on fixed random inputs at t = 500. Returns the median and every run.
 */
export async function timeSamplingSteps(opts: StepTimingOptions): Promise<StepTiming> {
  checkCounts(opts);
  const { model, dataset, batch } = opts;
  const net = new DenoisingUNet(modelConfig(model, dataset, opts.overrides));
  const cfg = net.config;
  const store = new ParamStore(net.paramSpecs(), 0);
  const x = tf.randomNormal(
    [batch, cfg.imageSize, cfg.imageSize, cfg.currentFrames * cfg.imageChannels],
    0,
    1,
    'float32',
    1,
  ) as tf.Tensor4D;
  const condCh = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
  const cond =
    condCh > 0 ? (tf.randomUniform([batch, cfg.imageSize, cfg.imageSize, condCh], -1, 1, 'float32', 2) as tf.Tensor4D) : null;
  const t = new Array<number>(batch).fill(500);
  const once = async () => {
    const y = net.apply(store.read, x, t, cond, { training: false });
    await y.data();
    y.dispose();
  };
  try {
    return await timeCalls(opts, opts.warmup ?? SAMPLE_WARMUP, once);
  } finally {
    tf.dispose([x, ...(cond ? [cond] : [])]);
    store.dispose();
  }
}
