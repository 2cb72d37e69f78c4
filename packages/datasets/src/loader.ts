// Batches of past/current/future tensors from a dataset, shuffled with a seed, with background
// prefetch: up to `prefetch` host batches are prepared ahead in a worker thread (datasets opened
// with openDataset), else between the consumer's awaits on the main thread.
import type * as tf from '@tensorflow/tfjs-core';
import { hostBatchStream, type BatchStreamSpec } from './batch-stream';
import { DatasetError } from './errors';
import { clipsToTensor } from './tensors';
import type { Clip, Split, VideoDataset } from './types';
import { loaderWorkerPath, workerBatches } from './worker-prefetch';

/** Options for {@link createClipLoader}. */
export interface ClipLoaderOptions {
  dataset: VideoDataset;
  split?: Split;
  /** Conditioning frames before the current ones (default 0). */
  past?: number;
  /** Frames the network predicts/denoises (required, >= 1). */
  current: number;
  /** Frames after the current ones (default 0). */
  future?: number;
  batchSize?: number;
  /** Shuffle the clip order every epoch (default true, as MCVD's loaders). */
  shuffle?: boolean;
  seed?: number;
  /** Whole-clip horizontal flip with p = 0.5 (default: true for KTH/BAIR/UCF training, never SM-MNIST). */
  flip?: boolean;
  /** Host batches prepared ahead (default 2; 0 disables). */
  prefetch?: number;
  /**
   * Where prefetched batches are prepared: 'worker' (a worker thread that opens the dataset itself;
   * needs a dataset from openDataset), 'main' (between the consumer's awaits), or 'auto' (default:
   * worker when possible).
   */
  prefetchIn?: 'auto' | 'worker' | 'main';
  /** Passes over the split (default 1; Infinity for endless training). */
  epochs?: number;
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
}

/** One batch: NHWC tensors with frames stacked into channels, values in [-1, 1]. Caller disposes. */
export interface ClipBatch {
  past: tf.Tensor4D | null;
  current: tf.Tensor4D;
  future: tf.Tensor4D | null;
  /** The host clips the tensors were made from ([T, H, W, C] uint8, T = past + current + future). */
  clips: Clip[];
}

function count(name: string, v: number | undefined, min: number, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < min)
    throw new DatasetError(`createClipLoader ${name}`, `must be an integer >= ${min}, got ${v}`);
  return x;
}

/** Creates the async iterator of {@link ClipBatch}es. */
export function createClipLoader(options: ClipLoaderOptions): AsyncIterable<ClipBatch> {
  const ds = options.dataset;
  if (!ds || typeof ds.clip !== 'function') throw new DatasetError('createClipLoader dataset', 'missing or not a dataset');
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test')
    throw new DatasetError('createClipLoader split', `must be "train" or "test", got ${JSON.stringify(split)}`);
  const past = count('past', options.past, 0, 0);
  const current = count('current', options.current, 1, NaN);
  const future = count('future', options.future, 0, 0);
  const batchSize = count('batchSize', options.batchSize, 1, 1);
  const prefetch = count('prefetch', options.prefetch, 0, 2);
  const epochs = options.epochs ?? 1;
  if (!(epochs >= 1)) throw new DatasetError('createClipLoader epochs', `must be >= 1, got ${epochs}`);
  const flip = split === 'train' && ds.name !== 'smmnist' && (options.flip ?? true);
  const shuffle = options.shuffle ?? true;
  const window = past + current + future;
  const n = ds.length(split);
  if (n === 0) throw new DatasetError(`${ds.name} ${split}`, 'split has no clips');
  const toBatch = (clips: Clip[]): ClipBatch => ({
    past: past > 0 ? clipsToTensor(clips, 0, past) : null,
    current: clipsToTensor(clips, past, current),
    future: future > 0 ? clipsToTensor(clips, past + current, future) : null,
    clips,
  });

  const prefetchIn = options.prefetchIn ?? 'auto';
  if (!['auto', 'worker', 'main'].includes(prefetchIn)) {
    throw new DatasetError(
      'createClipLoader prefetchIn',
      `must be "auto", "worker" or "main", got ${JSON.stringify(prefetchIn)}`,
    );
  }
  const spec: BatchStreamSpec = {
    split,
    window,
    batchSize,
    shuffle,
    seed: options.seed ?? 0,
    flip,
    epochs,
    dropLast: options.dropLast ?? false,
  };
  const script = prefetch > 0 && prefetchIn !== 'main' && ds.openOptions ? loaderWorkerPath() : null;
  if (prefetchIn === 'worker' && prefetch > 0 && !script) {
    throw new DatasetError(
      'createClipLoader prefetchIn',
      ds.openOptions
        ? 'the built worker script (dist/loader-worker.js) was not found'
        : `"worker" needs a dataset opened with openDataset (${ds.name} was not)`,
    );
  }

  return {
    [Symbol.asyncIterator]() {
      if (script && ds.openOptions) {
        const batches = workerBatches(script, ds.openOptions, spec, prefetch);
        return {
          async next(): Promise<IteratorResult<ClipBatch>> {
            const r = await batches.next();
            return r.done ? { done: true, value: undefined } : { done: false, value: toBatch(r.value) };
          },
          async return(): Promise<IteratorResult<ClipBatch>> {
            return batches.return().then(() => ({ done: true, value: undefined }));
          },
        };
      }
      const source = hostBatchStream(ds, spec, prefetch > 0);
      const queue: Promise<IteratorResult<Clip[]>>[] = [];
      const fill = () => {
        while (queue.length < Math.max(1, prefetch + 1)) queue.push(source.next());
      };
      return {
        async next(): Promise<IteratorResult<ClipBatch>> {
          if (prefetch === 0) queue.push(source.next());
          else fill();
          const r = await queue.shift()!;
          if (prefetch > 0) fill();
          if (r.done) return { done: true, value: undefined };
          return { done: false, value: toBatch(r.value) };
        },
        async return(): Promise<IteratorResult<ClipBatch>> {
          await source.return(undefined);
          return { done: true, value: undefined };
        },
      };
    },
  };
}
