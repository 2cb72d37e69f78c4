import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { fail, parseConfigJson, type Configurable } from '@evdm/core';
import type { ScheduleConfigInput } from '@evdm/diffusion';
import { modelConfig, DATASET_PRESETS, type DatasetName, type ModelName } from '../models/presets';
import { resolveNetworkConfig, type NetworkConfig, type NetworkConfigInput } from '../models/network-config';
import { SyntheticClipSource } from '../data/synthetic';
import { clipSourceFromIterable, type ClipSource } from '../data/source';
import { createClipLoader, openDataset, type VideoDataset } from '@evdm/datasets';
import { resolveTrainConfig, type TrainConfig } from './train-config';
import { checkDataSection, checkScheduleAndPreview } from './run-config-check';
import type { SamplerConfig } from '../sample/predict';

/**
 * Where training batches come from: `synthetic` (bouncing squares) or a dataset of
 * `@evdm/datasets` (`smmnist` needs no download; `kth`, `bair`, `ucf101` take the `path` of the
 * converted HDF5 data). Dataset streams are seeded but not position-resumable: a resumed run
 * continues with a fresh seeded stream (the trainer says so).
 */
export type DataConfig =
  | { source: 'synthetic'; seed?: number; squareSize?: number }
  | {
      source: 'smmnist' | 'kth' | 'bair' | 'ucf101';
      path?: string;
      seed?: number;
      flip?: boolean;
      prefetch?: number;
      smmnist?: SmmnistDataOptions;
      /**
       * Frame side the network sees: the dataset's frames (64 px) are average-pooled by the integer
       * factor 64 / imageSize (e.g. 16 for tiny smoke runs). Default: the dataset's own size.
       */
      imageSize?: number;
    };

/** SM-MNIST generator geometry (defaults are MCVD's: 64 px canvas, 2 digits of 32 px). */
export interface SmmnistDataOptions {
  imageSize?: number;
  digitSize?: number;
  numDigits?: number;
}

const DATA_SOURCES = ['synthetic', 'smmnist', 'kth', 'bair', 'ucf101'];

/**
 * A training run file: `{ "network": {...}, "data": {...}, "train": {...}, "schedule"?: {...}, "preview"?: {...} }`.
 * `network` is a full network config or `{ "preset": { "model", "dataset" }, ...overrides }`.
 */
export interface RunConfig {
  network: NetworkConfig;
  data: DataConfig;
  train: TrainConfig;
  schedule: ScheduleConfigInput;
  /** Sampler of the periodic preview grids (fast by default: DDIM, 20 steps). */
  preview: Partial<SamplerConfig>;
}

/** Network section: full config or preset + overrides. */
export function networkFromJson(json: unknown, where = 'network'): NetworkConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(where, 'must be an object');
  const { preset, ...rest } = json as { preset?: { model: ModelName; dataset: DatasetName } };
  let input: NetworkConfigInput;
  if (preset !== undefined) {
    if (!preset || typeof preset !== 'object' || !preset.model || !preset.dataset) {
      fail(where, '"preset" needs "model" (mcvd, evdm, evdm-l) and "dataset" (' + Object.keys(DATASET_PRESETS).join(', ') + ')');
    }
    if (!['mcvd', 'evdm', 'evdm-l'].includes(preset.model))
      fail(where, `unknown preset model "${preset.model}" (mcvd, evdm, evdm-l)`);
    input = modelConfig(preset.model, preset.dataset, rest as Partial<NetworkConfigInput>);
  } else input = rest as unknown as NetworkConfigInput;
  try {
    return resolveNetworkConfig(input);
  } catch (e) {
    return fail(where, (e as Error).message);
  }
}

/** Validates a parsed run file; `where` names it in every error. */
export function resolveRunConfig(json: unknown, where = 'config'): RunConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(where, 'must hold a JSON object');
  const o = json as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !['network', 'data', 'train', 'schedule', 'preview'].includes(k));
  if (unknown.length) fail(where, `unknown section(s) ${unknown.join(', ')} (known: network, data, train, schedule, preview)`);
  if (o.network === undefined) fail(where, 'missing "network" section');
  const network = networkFromJson(o.network, `${where} network`);
  const data = (o.data ?? { source: 'synthetic' }) as DataConfig;
  if (!data || typeof data !== 'object') fail(where, '"data" must be an object');
  if (!DATA_SOURCES.includes(data.source)) {
    fail(where, `data.source "${String(data.source)}" is unknown (have: ${DATA_SOURCES.map((d) => `"${d}"`).join(', ')})`);
  }
  if (data.source !== 'synthetic' && data.source !== 'smmnist' && !data.path) {
    fail(
      where,
      `data.source "${data.source}" needs "path": the converted HDF5 data (see the @evdm/datasets README, "evdm-convert")`,
    );
  }
  const size = (data as { imageSize?: unknown }).imageSize;
  if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 1)) {
    fail(
      where,
      `data.imageSize must be a positive integer (a divisor of the dataset's 64 px frames), got ${JSON.stringify(size)}`,
    );
  }
  let train: TrainConfig;
  try {
    checkDataSection(data as unknown as Record<string, unknown>);
    checkScheduleAndPreview(o.schedule ?? {}, o.preview ?? {});
    train = resolveTrainConfig((o.train ?? {}) as Partial<TrainConfig>);
  } catch (e) {
    return fail(where, (e as Error).message);
  }
  return {
    network,
    data,
    train,
    schedule: (o.schedule ?? {}) as ScheduleConfigInput,
    preview: (o.preview ?? {}) as Partial<SamplerConfig>,
  };
}

/** Reads and parses a JSON config file; errors name the file. */
export function readJsonConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The config idiom for run files: `RunConfig.resolve(json, where?)` (validated; `network` in full),
 * `RunConfig.fromJSON(json)`; a resolved run config is plain JSON data and round-trips unchanged.
 */
export const RunConfig: Configurable<unknown, RunConfig> & { resolve(json: unknown, where?: string): RunConfig } = {
  resolve: (json: unknown, where?: string) => resolveRunConfig(json, where),
  fromJSON: (json: unknown) => resolveRunConfig(parseConfigJson('RunConfig', json)),
};

export function readRunConfig(path: string): RunConfig {
  return resolveRunConfig(readJsonConfigFile(path), `config file ${path}`);
}

/** The clip source a data config describes, shaped for the network; `seedOffset` gives independent streams. */
export function makeClipSource(data: DataConfig, net: NetworkConfig, batchSize: number, seedOffset = 0): ClipSource {
  if (data.source !== 'synthetic') return datasetClipSource(data, net, batchSize, seedOffset);
  return new SyntheticClipSource({
    batchSize,
    imageSize: net.imageSize,
    channels: net.imageChannels,
    past: net.pastFrames,
    current: net.currentFrames,
    future: net.futureFrames,
    seed: (data.seed ?? 0) + seedOffset,
    squareSize: data.squareSize,
  });
}

/** Opens the `@evdm/datasets` dataset a (non-synthetic) data config names. */
export async function openDataConfig(data: Exclude<DataConfig, { source: 'synthetic' }>): Promise<VideoDataset> {
  if (data.smmnist !== undefined && data.source !== 'smmnist')
    throw new Error(`data.smmnist only applies to data.source "smmnist", not "${data.source}"`);
  const opened =
    data.source === 'smmnist' ? { name: 'smmnist' as const, ...(data.smmnist ?? {}) } : { name: data.source, path: data.path };
  return openDataset(opened as Parameters<typeof openDataset>[0]);
}

/** Training clips from `@evdm/datasets`, opened lazily and checked against the network's layout. */
function datasetClipSource(
  data: Exclude<DataConfig, { source: 'synthetic' }>,
  net: NetworkConfig,
  batchSize: number,
  seedOffset: number,
): ClipSource {
  async function* batches() {
    const dataset = await openDataConfig(data);
    const factor = poolFactor(data, dataset.height, dataset.width);
    if (dataset.channels !== net.imageChannels || dataset.height / factor !== net.imageSize) {
      throw new Error(
        `data.source "${data.source}" has ${dataset.channels}-channel ${dataset.height / factor}x${dataset.width / factor} frames${factor > 1 ? ` (after pooling by ${factor})` : ''}, the network expects ${net.imageChannels}-channel ${net.imageSize}x${net.imageSize}`,
      );
    }
    const loader = createClipLoader({
      dataset,
      split: 'train',
      past: net.pastFrames,
      current: net.currentFrames,
      future: net.futureFrames,
      batchSize,
      shuffle: true,
      seed: (data.seed ?? 0) + seedOffset,
      flip: data.flip,
      prefetch: data.prefetch,
    });
    for await (const b of loader) {
      const pool = (x: tf.Tensor4D | null) => (x === null ? undefined : poolFrames(x, factor));
      yield { past: pool(b.past), current: pool(b.current)!, future: pool(b.future) };
    }
  }
  return clipSourceFromIterable(batches);
}

/**
 * The average-pooling factor of `data.imageSize` for a dataset of `height`x`width` frames (1 when
 * not set); an error names the value when it does not divide the frames.
 */
export function poolFactor(data: DataConfig, height: number, width: number): number {
  const size = (data as { imageSize?: number }).imageSize;
  if (size === undefined || size === height) return 1;
  const f = height / size;
  if (!Number.isInteger(f) || width % f !== 0) {
    throw new Error(
      `data.imageSize ${size} does not divide the ${data.source} frames (${height}x${width}): use ${height} / k, e.g. ${height / 2}, ${height / 4}`,
    );
  }
  return f;
}

/** Average-pools stacked frames [B, H, W, frames·C] by `factor` (disposes the input when it pools). */
export function poolFrames(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  if (factor === 1) return x;
  const y = tf.avgPool(x, factor, factor, 'valid');
  x.dispose();
  return y;
}
