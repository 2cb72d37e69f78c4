// The deterministic sequence of host batches a loader yields: epoch shuffles and (for training)
// start index / flip draws all come from one seeded generator. The main thread and the prefetch
// worker both run exactly this, so a seed gives the same batches wherever they are prepared.
import { Rng } from '@evdm/core';
import type { Clip, Split, VideoDataset } from './types';

/** Everything that fixes the batch sequence (plain data: it is posted to the prefetch worker). */
export interface BatchStreamSpec {
  split: Split;
  window: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  flip: boolean;
  epochs: number;
  dropLast: boolean;
}

export async function* hostBatchStream(
  ds: VideoDataset,
  spec: BatchStreamSpec,
  yieldBetweenClips = false,
): AsyncGenerator<Clip[]> {
  const rng = new Rng(BigInt(spec.seed), 7n);
  const n = ds.length(spec.split);
  // Test clips use their per-index generator (deterministic test set); training draws from the stream's.
  const clipOpts = () =>
    spec.split === 'train' ? { frames: spec.window, rng, flip: spec.flip } : { frames: spec.window, seed: spec.seed };
  for (let e = 0; e < spec.epochs; e++) {
    const order = Array.from({ length: n }, (_, i) => i);
    if (spec.shuffle) rng.shuffle(order);
    for (let s = 0; s < n; s += spec.batchSize) {
      const idx = order.slice(s, s + spec.batchSize);
      if (idx.length < spec.batchSize && spec.dropLast) break;
      const clips: Clip[] = [];
      for (const i of idx) {
        clips.push(await ds.clip(i, spec.split, clipOpts()));
        // in-thread prefetch: let the consumer run between clips
        if (yieldBetweenClips) await new Promise<void>((r) => setImmediate(r));
      }
      yield clips;
    }
  }
}
