import type { Rng } from '@evdm/core';

/** The four dataset families MCVD/EVDM evaluate on. */
export type DatasetName = 'smmnist' | 'kth' | 'bair' | 'ucf101';

/** Which split to read. */
export type Split = 'train' | 'test';

/**
 * A host-side clip: `t` frames of `h x w x c` uint8 pixels, stored frame-major ([T, H, W, C]).
 * This is the raw form used for metrics, GIFs and PNG grids.
 */
export interface Clip {
  frames: Uint8Array;
  t: number;
  h: number;
  w: number;
  c: number;
}

/** How to cut one clip out of a video. */
export interface ClipOptions {
  /**
   * Number of consecutive frames (the window). Defaults to the whole video for stored datasets and
   * to the configured sequence length for SM-MNIST.
   */
  frames?: number;
  /**
   * Random source for the start index, flip, crop offset and (SM-MNIST) digits/trajectories. When
   * omitted, a generator seeded from `(seed, index)` is used so the same call gives the same clip.
   */
  rng?: Rng;
  /** Allow the whole-clip horizontal flip (p = 0.5). Only honoured for KTH/BAIR/UCF training. */
  flip?: boolean;
  /** Seed used when `rng` is omitted (default 0). */
  seed?: number;
}

/** What every dataset reader exposes. */
export interface VideoDataset {
  readonly name: DatasetName;
  /** Channels per frame after reading (1 for SM-MNIST/KTH, 3 for BAIR/UCF). */
  readonly channels: number;
  /** Frame height delivered by `clip` (64). */
  readonly height: number;
  /** Frame width delivered by `clip` (64; UCF frames are cropped from 85). */
  readonly width: number;
  /** Number of clips the split provides (MCVD's test sets have 256). */
  length(split: Split): number;
  /** Reads clip `index` of `split` as uint8 frames [T, H, W, C]. */
  clip(index: number, split: Split, options?: ClipOptions): Promise<Clip>;
  /** Releases open files. */
  close(): void;
  /**
   * How `openDataset` opened it (plain data). Set by openDataset; lets the loader's prefetch worker
   * open its own copy.
   */
  readonly openOptions?: import('./open-dataset').OpenDatasetOptions;
}
