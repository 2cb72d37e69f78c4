import * as tf from '@tensorflow/tfjs-core';
import { clipsToTensor, type Clip as HostClip, type VideoDataset } from '@evdm/datasets';
import { unstackFrames } from '@evdm/diffusion';
import { SyntheticClipSource } from '../data/synthetic';
import { openDataConfig, poolFactor, poolFrames, type DataConfig } from '../train/run-config';

/** Frames per test clip and the geometry the network expects. */
export interface TestClipLayout {
  past: number;
  current: number;
  future: number;
  imageSize: number;
  imageChannels: number;
}

/** One batch of test clips, [B, frames, H, W, C] in [-1, 1]; the consumer disposes. */
export interface TestBatch {
  /** Index of the first clip of the batch in the test set. */
  first: number;
  past?: tf.Tensor5D;
  current: tf.Tensor5D;
  future?: tf.Tensor5D;
}

export interface TestClips {
  /** Dataset name ("synthetic" for the bouncing squares). */
  dataset: string;
  /** Size of the dataset's test split (MCVD: 256); null for the endless synthetic source. */
  testSetSize: number | null;
  /** Clips this evaluation reads. */
  clips: number;
  batches(batch: number): AsyncGenerator<TestBatch>;
  close(): void;
}

/** Seed of the held-out synthetic clips (a different stream from any training seed). */
export const SYNTHETIC_TEST_SEED = 987654;

/**
 * The test split of a data config, cut into clips of `past + current + future` frames. Dataset
 * clips are MCVD's deterministic test clips (clip k drawn from a generator seeded by (0, test, k));
 * frames are average-pooled when the config sets `imageSize`. `clips` defaults to the test set size
 * (256 for MCVD's SM-MNIST, KTH, BAIR and UCF-101 test sets; 256 synthetic clips).
 */
export async function openTestClips(data: DataConfig, layout: TestClipLayout, clips?: number): Promise<TestClips> {
  const window = layout.past + layout.current + layout.future;
  const split = (all: tf.Tensor5D): Omit<TestBatch, 'first'> => {
    const [B, , H, W, C] = all.shape;
    const part = (start: number, n: number) =>
      n === 0 ? undefined : (tf.slice(all, [0, start, 0, 0, 0], [B, n, H, W, C]) as tf.Tensor5D);
    const out = {
      past: part(0, layout.past),
      current: part(layout.past, layout.current)!,
      future: part(layout.past + layout.current, layout.future),
    };
    all.dispose();
    return out;
  };
  if (data.source === 'synthetic') {
    const total = clips ?? 256;
    return {
      dataset: 'synthetic',
      testSetSize: null,
      clips: total,
      async *batches(batch: number) {
        const src = new SyntheticClipSource({
          batchSize: batch,
          imageSize: layout.imageSize,
          channels: layout.imageChannels,
          past: 0,
          current: window,
          future: 0,
          seed: SYNTHETIC_TEST_SEED,
          ...(data.squareSize !== undefined ? { squareSize: data.squareSize } : {}),
        });
        for (let first = 0; first < total; first += batch) {
          const c = await src.next();
          const n = Math.min(batch, total - first);
          const all = n === batch ? (c.current as tf.Tensor5D) : (tf.slice(c.current, 0, n) as tf.Tensor5D);
          if (all !== c.current) c.current.dispose();
          yield { first, ...split(all) };
        }
      },
      close() {},
    };
  }
  const ds: VideoDataset = await openDataConfig(data);
  try {
    const factor = poolFactor(data, ds.height, ds.width);
    const size = ds.height / factor;
    if (ds.channels !== layout.imageChannels || size !== layout.imageSize) {
      throw new Error(
        `dataset ${data.source} gives ${ds.channels}-channel ${size}x${size} frames${factor > 1 ? ` (pooled by ${factor})` : ''}, the checkpoint's network expects ${layout.imageChannels}-channel ${layout.imageSize}x${layout.imageSize}` +
          (size !== layout.imageSize && factor === 1 && ds.height % layout.imageSize === 0
            ? ` (set "imageSize": ${layout.imageSize} in the data config to pool the frames)`
            : ''),
      );
    }
    const testSetSize = ds.length('test');
    const total = clips ?? testSetSize;
    if (total > testSetSize) throw new Error(`--clips ${total}: the ${data.source} test split has only ${testSetSize} clips`);
    return {
      dataset: data.source,
      testSetSize,
      clips: total,
      async *batches(batch: number) {
        for (let first = 0; first < total; first += batch) {
          const host: HostClip[] = [];
          for (let k = first; k < Math.min(total, first + batch); k++)
            host.push(await ds.clip(k, 'test', { frames: window, seed: 0 }));
          const stacked = poolFrames(clipsToTensor(host, 0, window), factor);
          const all = unstackFrames(stacked, window);
          stacked.dispose();
          yield { first, ...split(all) };
        }
      },
      close: () => ds.close(),
    };
  } catch (e) {
    ds.close();
    throw e;
  }
}
