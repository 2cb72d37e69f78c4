// Batches of past/current/future tensors from a dataset, shuffled with a seed, with cooperative
// prefetch: up to `prefetch` host batches are prepared ahead (between the consumer's awaits).
import { Rng } from '@evdm/core';
import type * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from './errors';
import { clipsToTensor } from './tensors';
import type { Clip, Split, VideoDataset } from './types';

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
  if (!Number.isInteger(x) || x < min) throw new DatasetError(`createClipLoader ${name}`, `must be an integer >= ${min}, got ${v}`);
  return x;
}

/** Creates the async iterator of {@link ClipBatch}es. */
export function createClipLoader(options: ClipLoaderOptions): AsyncIterable<ClipBatch> {
  const ds = options.dataset;
  if (!ds || typeof ds.clip !== 'function') throw new DatasetError('createClipLoader dataset', 'missing or not a dataset');
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new DatasetError('createClipLoader split', `must be "train" or "test", got ${JSON.stringify(split)}`);
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

  return {
    [Symbol.asyncIterator]() {
      const rng = new Rng(BigInt(options.seed ?? 0), 7n);
      // Test clips use their per-index generator (deterministic test set); training draws from the loader's.
      const clipOpts = () => (split === 'train' ? { frames: window, rng, flip } : { frames: window, seed: options.seed ?? 0 });
      async function* hostBatches(): AsyncGenerator<Clip[]> {
        for (let e = 0; e < epochs; e++) {
          const order = Array.from({ length: n }, (_, i) => i);
          if (shuffle) rng.shuffle(order);
          for (let s = 0; s < n; s += batchSize) {
            const idx = order.slice(s, s + batchSize);
            if (idx.length < batchSize && options.dropLast) break;
            const clips: Clip[] = [];
            for (const i of idx) {
              clips.push(await ds.clip(i, split, clipOpts()));
              await new Promise<void>((r) => setImmediate(r)); // yield so prefetching never starves the consumer
            }
            yield clips;
          }
        }
      }
      const source = hostBatches();
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
          const clips = r.value;
          return {
            done: false,
            value: {
              past: past > 0 ? clipsToTensor(clips, 0, past) : null,
              current: clipsToTensor(clips, past, current),
              future: future > 0 ? clipsToTensor(clips, past + current, future) : null,
              clips,
            },
          };
        },
        async return(): Promise<IteratorResult<ClipBatch>> {
          await source.return(undefined);
          return { done: true, value: undefined };
        },
      };
    },
  };
}
