// BAIR robot pushing in MCVD's layout (datasets/bair.py): `<path>/train/*.hdf5` and
// `<path>/test/*.hdf5`, 30 frames of 64x64x3 per video; MCVD's test split has 256 videos.
import { join } from 'node:path';
import { DatasetError } from './errors';
import { checkIndex, clipRng } from './clip-rng';
import type { Clip, ClipOptions, Split, VideoDataset } from './types';
import { VideoStore } from './video-store';
import { readWindow } from './window';

/** Options for {@link openBair}. */
export interface BairOptions {
  /** `BAIR_h5` directory holding `train/` and `test/` shard folders. */
  path: string;
}

const SIZE = 64;

export async function openBair(options: BairOptions): Promise<VideoDataset> {
  const stores: Partial<Record<Split, VideoStore>> = {};
  try {
    stores.train = await VideoStore.open(join(options.path, 'train'));
    stores.test = await VideoStore.open(join(options.path, 'test'));
  } catch (e) {
    stores.train?.close();
    throw e;
  }
  const geom = { storedHeight: SIZE, storedWidth: SIZE, channels: 3, width: SIZE };
  const store = (split: Split): VideoStore => {
    const s = stores[split];
    if (!s) throw new DatasetError('split', `must be "train" or "test", got ${JSON.stringify(split)}`);
    return s;
  };
  return {
    name: 'bair',
    channels: 3,
    height: SIZE,
    width: SIZE,
    length: (split) => store(split).count,
    async clip(index: number, split: Split, opts?: ClipOptions): Promise<Clip> {
      checkIndex('bair', index, split, store(split).count);
      const rng = clipRng(opts, index, split);
      return readWindow(store(split), index, opts?.frames, geom, rng, () => 0, split === 'train' && opts?.flip === true);
    },
    close: () => {
      stores.train?.close();
      stores.test?.close();
    },
  };
}
